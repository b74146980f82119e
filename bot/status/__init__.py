"""Application status: workflow, imports, bindings, HR contacts and change notices."""
