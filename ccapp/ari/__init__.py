"""The ARI seam: the interface the Stasis worker uses, typed events, the real client and a simulator."""
