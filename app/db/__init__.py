"""Database plumbing: connection URLs, migrations, cron schedules, pgmq installation."""
