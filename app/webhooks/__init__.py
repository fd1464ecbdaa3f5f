"""Webhooks, the worker's side: the SSRF guard (guard.py), signing and sending one delivery (sender.py) and the
queue consumer that fans events out and delivers them (consumer.py). Every rule about what to send, when to
retry and when to give up is SQL (sql/functions/195_webhooks.sql)."""
