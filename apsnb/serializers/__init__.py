"""Serializers: how persistent stores turn arguments, return values and other stored
values into bytes.

Import each by its full path, e.g. ``from apsnb.serializers.json import JSONSerializer``.
"""
