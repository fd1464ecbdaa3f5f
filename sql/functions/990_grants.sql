-- EXECUTE is revoked from PUBLIC and granted per function signature, here and only here.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA missions FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA missions_private FROM PUBLIC;

-- ---- everyone who acts -------------------------------------------------------------------
GRANT EXECUTE ON FUNCTION missions.now() TO missions_participant, missions_admin, missions_mentor,
  missions_agent, missions_service, missions_app;
GRANT EXECUTE ON FUNCTION
  missions.whoami(), missions.principal(uuid), missions.templates(integer, jsonb), missions.wall_feed(integer, jsonb),
  missions.stipend_tiers(),
  missions.notifications(boolean, integer, jsonb), missions.unread_notification_count(),
  missions.mark_notifications_read(bigint[]), missions.event_stream_page(bigint, integer),
  missions_private.newest_event_id(),
  missions_private.current_principal_id(), missions_private.current_principal_role(),
  missions_private.caller_id(), missions_private.is_owner_session(),
  missions_private.page_size(integer), missions_private.page_after(jsonb, text[]), missions_private.level_rank(text),
  missions_private.clean_text(text),
  missions_private.set_transition_context(jsonb), missions_private.clear_transition_context()
  TO missions_participant, missions_admin, missions_mentor, missions_agent, missions_service;

-- ---- the app's login role: key lookup, health and metrics (before any principal is known) ----
GRANT EXECUTE ON FUNCTION missions.authenticate(text), missions.health(), missions.metrics() TO missions_app;
GRANT EXECUTE ON FUNCTION missions.touch_event_stream_listener(uuid) TO missions_app;

-- ---- participants acting on their own data (admins and services on anyone's) ----------------
GRANT EXECUTE ON FUNCTION
  missions.available_missions(uuid, integer, jsonb), missions.assign_mission(uuid, uuid, integer),
  missions.start_mission(uuid, uuid), missions.submit_mission(uuid, text, text, uuid, text),
  missions.participant_missions(uuid, text[], integer, jsonb), missions.check_in(uuid),
  missions.balances(uuid), missions.ledger(uuid, integer, jsonb),
  missions.post_to_wall(uuid, text), missions.participant_stats(uuid), missions.alerts(text, integer, jsonb),
  missions.stipend_tier(uuid),
  missions_private.authorize_participant(uuid), missions_private.repeat_slot(uuid, uuid, timestamptz),
  missions_private.currencies()
  TO missions_participant, missions_admin, missions_service;
-- a participant changes only their own display name and time zone (the function refuses the rest, MS403)
GRANT EXECUTE ON FUNCTION missions.update_principal(uuid, jsonb) TO missions_participant, missions_admin, missions_service;

-- ---- staff: principals, keys, templates, reviews, ledger, alerts, jobs ------------------------
GRANT EXECUTE ON FUNCTION
  missions.create_principal(text, text, jsonb), missions_private.assert_timezone(text),
  missions.enroll_principal(text, text, jsonb, text),
  missions.search_principals(text, text, text, boolean, text, integer, jsonb), missions_private.authorize_staff(),
  missions.create_api_key(uuid, text), missions.revoke_api_key(uuid), missions.api_keys(uuid, integer, jsonb),
  missions.health(), missions.metrics(), missions.check_invariants(),
  missions.create_template(jsonb), missions.update_template(uuid, jsonb),
  missions.set_template_active(uuid, boolean), missions_private.apply_challenge_spec(uuid, jsonb, boolean),
  missions.approve_mission(uuid, uuid, text), missions.fail_mission(uuid, uuid, text, text),
  missions.purge_idempotency_keys(), missions.pending_reviews(integer, jsonb),
  missions.credit(uuid, text, bigint, text, text), missions.debit(uuid, text, bigint, text, text),
  missions_private.book(uuid, text, bigint, integer, text, text),
  missions_private.post_entry(uuid, text, bigint, text, text, text),
  missions.resolve_alert(uuid, uuid, text), missions_private.authorize_actor(uuid),
  missions.admin_stats(), missions.set_campaign_hashtag(text), missions.set_check_in_on_request(boolean),
  missions.set_stipend_tier(text, integer, text, bigint, text), missions.delete_stipend_tier(text),
  missions.assign_daily_missions(), missions.assign_weekly_missions(), missions.apply_momentum_decay(),
  missions.expire_missions(), missions.recalculate_wall_ranks(), missions.pause_inactive_participants(),
  missions_private.transition_mission(uuid, text, jsonb)
  TO missions_admin, missions_service;

-- ---- agent face --------------------------------------------------------------------------
GRANT EXECUTE ON FUNCTION missions_private.agent_allowed(uuid, uuid)
  TO missions_participant, missions_admin, missions_mentor, missions_agent, missions_service;
GRANT EXECUTE ON FUNCTION
  missions.step_kinds(integer, jsonb), missions.check_quota(text),
  missions.claim_mission_step(uuid, uuid), missions.claim_next_step(uuid, text[]),
  missions.heartbeat_step(uuid, uuid, uuid), missions.complete_step(uuid, uuid, uuid, jsonb, text),
  missions.fail_step(uuid, uuid, uuid, text, boolean), missions.release_step(uuid, uuid, uuid),
  missions.claim_next_steps(uuid, text[], integer), missions.complete_steps(uuid, jsonb)
  TO missions_agent, missions_admin, missions_service;
GRANT EXECUTE ON FUNCTION
  missions.create_agent_mission(jsonb), missions.agent_mission(uuid, integer, boolean),
  missions.list_agent_missions(text[], text[], boolean, integer, integer, jsonb), missions.update_agent_mission(uuid, jsonb),
  missions.add_task(uuid, jsonb), missions.update_task(uuid, uuid, jsonb), missions.log_mission_event(uuid, text, jsonb),
  missions.resume_mission(uuid, integer, text), missions.request_human_input(uuid, uuid, text, jsonb),
  missions.input_requests(text, integer, jsonb),
  missions.block_task(uuid, uuid, text, text), missions.unblock_task(uuid, uuid, text),
  missions.replan_mission(uuid, jsonb), missions.recent_agent_missions(integer),
  missions_private.priority_value(jsonb), missions_private.priority_name(smallint)
  TO missions_agent, missions_participant, missions_admin, missions_service;
GRANT EXECUTE ON FUNCTION missions.cancel_input_request(uuid, text)
  TO missions_agent, missions_participant, missions_admin, missions_service;
GRANT EXECUTE ON FUNCTION missions.approve_agent_mission(uuid, uuid, text, text),
  missions.respond_to_input_request(uuid, uuid, jsonb, text)
  TO missions_participant, missions_admin, missions_service;
GRANT EXECUTE ON FUNCTION missions.wait_for_external_event(uuid, uuid, text)
  TO missions_agent, missions_admin, missions_service;
GRANT EXECUTE ON FUNCTION missions.deliver_external_event(text, jsonb, text)
  TO missions_agent, missions_admin, missions_service, missions_app;
GRANT EXECUTE ON FUNCTION missions.upsert_step_kind(text, jsonb), missions.expire_claims(),
  missions.expire_input_requests(), missions.check_autonomous_missions(),
  missions.maintain_event_partitions(integer), missions.apply_retention(integer),
  missions.reviewers(text, integer, jsonb), missions.designate_reviewer(text, uuid), missions.revoke_reviewer(text, uuid)
  TO missions_admin, missions_service;

-- ---- webhooks: admins manage every subscription, services their own; the worker fans out and sends ----
GRANT EXECUTE ON FUNCTION
  missions.create_webhook_subscription(text, text[], uuid, uuid, text, text), missions.webhook_subscriptions(integer, jsonb),
  missions.webhook_subscription(uuid), missions.update_webhook_subscription(uuid, text, text[], text, boolean),
  missions.delete_webhook_subscription(uuid), missions.rotate_webhook_secret(uuid, integer),
  missions.webhook_deliveries(uuid, text, integer, jsonb), missions.webhook_delivery(uuid), missions.redeliver_webhook(uuid)
  TO missions_admin, missions_service;
GRANT EXECUTE ON FUNCTION missions.enqueue_webhook_deliveries(bigint[]), missions.webhook_delivery_to_send(uuid),
  missions.record_webhook_attempt(uuid, integer, integer, text)
  TO missions_app;

-- ---- learning face ---------------------------------------------------------------------------
GRANT EXECUTE ON FUNCTION
  missions.learning_template(uuid), missions.learning_templates(text, integer, jsonb), missions.learning_progress(uuid),
  missions.mission_hints(uuid, integer), missions.mission_decisions(uuid), missions.evidence_file(uuid),
  missions.evidence_limits(), missions.ai_review(uuid), missions.mentor_review(uuid), missions.review_packet(uuid)
  TO missions_participant, missions_admin, missions_mentor, missions_agent, missions_service;
GRANT EXECUTE ON FUNCTION
  missions.learning_dashboard(uuid), missions.start_learning_mission(uuid, uuid),
  missions.save_mission_progress(uuid, jsonb), missions.reveal_hint(uuid, integer),
  missions.choose_decision(uuid, text, text),
  missions.add_evidence(uuid, integer, text, text, bigint, text), missions.delete_evidence(uuid),
  missions.submit_learning_mission(uuid, text, text), missions.accept_ai_review(uuid), missions.request_mentor_review(uuid),
  missions.portfolio(uuid, integer, jsonb), missions.skill_signals(uuid, integer, jsonb)
  TO missions_participant, missions_admin, missions_service;
GRANT EXECUTE ON FUNCTION missions.mentor_reviews(integer, jsonb), missions.claim_mentor_review(uuid, uuid),
  missions.complete_mentor_review(uuid, uuid, jsonb, text)
  TO missions_mentor, missions_admin, missions_service;
GRANT EXECUTE ON FUNCTION missions.rules_review(uuid, uuid, uuid) TO missions_agent, missions_admin, missions_service;
GRANT EXECUTE ON FUNCTION missions.create_learning_template(jsonb), missions.set_template_rubric(uuid, jsonb)
  TO missions_admin, missions_service;
-- recipes: everyone reads the library; participants track their own usage and get recommendations;
-- admins and services curate (others get 42501, mapped to 403 like MS403)
GRANT EXECUTE ON FUNCTION missions.recipe(text), missions.recipes(text, text, text, integer, jsonb)
  TO missions_participant, missions_admin, missions_mentor, missions_agent, missions_service;
GRANT EXECUTE ON FUNCTION missions.track_recipe_usage(uuid, text, text, integer, uuid),
  missions.recommend_recipes(uuid, uuid, integer, integer)
  TO missions_participant, missions_admin, missions_service;
GRANT EXECUTE ON FUNCTION missions.upsert_recipe(jsonb), missions.delete_recipe(text),
  missions.link_recipe(text, uuid, integer), missions.unlink_recipe(text, uuid, integer)
  TO missions_admin, missions_service;
-- learning analytics: the readers check the caller's role themselves (MS403: only admins, services and
-- mentors; benchmarks also participants, their own row); the views themselves are readable by the owner only
GRANT EXECUTE ON FUNCTION missions.mission_performance(text, integer, jsonb), missions.step_funnel(uuid, integer, jsonb),
  missions.completion_heatmap(text, integer, jsonb), missions.participant_benchmarks(text, integer, jsonb), missions.recipe_effectiveness(integer, jsonb),
  missions.cohort_dashboard(integer, jsonb), missions.recipe_usage_stats(integer, jsonb),
  missions.decision_paths(uuid, integer, jsonb), missions.tool_usage(uuid, integer, jsonb)
  TO missions_participant, missions_admin, missions_mentor, missions_agent, missions_service;
GRANT EXECUTE ON FUNCTION missions.refresh_learning_analytics() TO missions_admin, missions_service;
GRANT EXECUTE ON FUNCTION missions.notify_streaks_at_risk() TO missions_admin, missions_service;
GRANT EXECUTE ON FUNCTION missions.warn_learning_deadlines(), missions.auto_submit_learning_missions(),
  missions.set_evidence_limits(bigint, integer, text[])
  TO missions_admin, missions_service;
