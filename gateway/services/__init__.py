"""The service layer: the one implementation under the REST API, the CLI and the console.

gateway.services.container.Services wires them over one store and one spool. This package
imports nothing itself: `mutaika serve` reaches it through the CLI before it sets up the
process tree's metrics, and prometheus_client picks its mode when gateway.metrics is imported.
"""
