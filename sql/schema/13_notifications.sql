-- In-app notifications: one inbox per principal, filled by the rules of sql/functions/190_notifications.sql
-- at the seeds' moments (a mentor review requested, a question for a mission's owner, an alert, a learning
-- deadline, a daily or weekly mission assigned, a streak at risk). Read through functions only.
CREATE TABLE missions_private.notifications (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recipient_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  kind          text NOT NULL CONSTRAINT notifications_kind_valid CHECK (kind IN (
                  'mentor_review_requested', 'input_requested', 'alert_triggered', 'deadline_warning',
                  'mission_assigned', 'streak_at_risk', 'webhook_disabled')),
  -- what happened, once: 'event:<id>', 'alert:<id>', 'mission:<id>', 'streak:<local day>', 'webhook:<subscription id>:<disabled at>'
  moment        text NOT NULL CONSTRAINT notifications_moment_length CHECK (length(moment) BETWEEN 1 AND 200),
  mission_id    uuid,
  title         text NOT NULL CONSTRAINT notifications_title_length CHECK (length(title) BETWEEN 1 AND 600),
  details       jsonb NOT NULL DEFAULT '{}' CONSTRAINT notifications_details_size CHECK (pg_column_size(details) <= 16384),
  created_at    timestamptz NOT NULL DEFAULT missions.now(),
  read_at       timestamptz,
  CONSTRAINT notifications_once UNIQUE (recipient_id, kind, moment)
);
COMMENT ON TABLE missions_private.notifications IS
  'Each principal''s inbox; the unique (recipient, kind, moment) makes every moment notify a recipient once.';
CREATE INDEX notifications_inbox_idx ON missions_private.notifications (recipient_id, id);
CREATE INDEX notifications_unread_idx ON missions_private.notifications (recipient_id, id) WHERE read_at IS NULL;
ALTER TABLE missions_private.notifications ENABLE ROW LEVEL SECURITY;
