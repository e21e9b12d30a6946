"""See what a trigger does before trusting it with a job: tables, plots, checks."""
