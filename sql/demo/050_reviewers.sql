-- Demo reviewers: Mia Mentor reviews mentor reviews (the worker's built-in rules reviewer is designated for
-- ai_review by the migration). Inserted once: a designation an admin revoked stays revoked.
INSERT INTO missions_private.step_kind_reviewers (kind, principal_id, granted_by)
VALUES ('mentor_review', '00000000-0000-4000-a000-000000000003', '00000000-0000-4000-a000-000000000001')
ON CONFLICT ON CONSTRAINT step_kind_reviewers_pkey DO NOTHING;
