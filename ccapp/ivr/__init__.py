"""The IVR flow interpreter and the flow schema: pure, no Django, no I/O."""
