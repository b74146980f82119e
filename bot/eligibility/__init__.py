"""The eligibility self-check feature: dialog, verdict rendering, /eligibility and the CLI command."""
