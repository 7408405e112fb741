"""The Stasis application: ARI events in, IVR/queue decisions, ARI calls and service calls out."""
