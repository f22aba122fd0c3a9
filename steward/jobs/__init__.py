"""Background jobs: a job table and a worker, no broker needed."""
