"""P402 Monitor: read-only attribution, drift and finance reports over the P402 metering ledger."""

__version__ = "0.1.0"
