"""Channel adapters: translate platform updates to ``Inbound`` and ``Outbound`` to platform calls."""
