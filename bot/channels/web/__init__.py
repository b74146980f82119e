"""Web chat channel: an aiohttp server with one chat page and a small JSON API over the core.

Importing this package is cheap (no aiohttp); ``server`` pulls in aiohttp when the web command runs.
"""
