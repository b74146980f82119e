"""The staff console: a separate web application for the office (accounts, audit, later the work pages)."""
