"""Webhook subscriptions and their delivery log (/webhooks), for admins and services."""
