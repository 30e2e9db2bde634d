"""`make bench`: the registry measured at scale on PostgreSQL, side by side with MLflow's registry."""
