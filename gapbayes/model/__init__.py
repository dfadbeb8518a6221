"""The Bayesian time-shift gap model: specs, design, backends, derived quantities."""
