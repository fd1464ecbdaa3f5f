-- Demo agent missions: seed 003's three ops missions, created once (they are found by title).
DO $demo$
DECLARE
  atlas constant uuid := '00000000-0000-4000-a000-000000000004';
  scout constant uuid := '00000000-0000-4000-a000-000000000008';
  milkbot constant uuid := '00000000-0000-4000-a000-000000000009';
  admin constant uuid := '00000000-0000-4000-a000-000000000001';
  m jsonb;
  v_id uuid;
BEGIN
  FOR m IN SELECT * FROM jsonb_array_elements(jsonb_build_array(
    jsonb_build_object('title', 'Repository Deep Audit & Documentation Sync', 'priority', 10,
      'lead_agent_id', atlas, 'report_location', '/opt/openclaw/workspace/reports/audit-001.md',
      'due_at', (date_trunc('day', now()) + interval '1 day 8 hours')::text,
      'steps', jsonb_build_array(
        jsonb_build_object('title', 'Pre-audit system health baseline', 'kind', 'health_check'),
        jsonb_build_object('title', 'Scan codebase for technical debt markers', 'kind', 'code_generation'),
        jsonb_build_object('title', 'Cross-reference documentation against code', 'kind', 'code_generation'),
        jsonb_build_object('title', 'Detect configuration drift: docs vs deployed', 'kind', 'code_generation'),
        jsonb_build_object('title', 'Generate prioritized fix list', 'kind', 'code_generation'),
        jsonb_build_object('title', 'Update ARCHITECTURE.md with current state', 'kind', 'documentation'),
        jsonb_build_object('title', 'Compile final audit report and update MEMORY.md', 'kind', 'documentation'))),
    jsonb_build_object('title', 'Competitive Intelligence & Market Analysis', 'priority', 8,
      'lead_agent_id', scout, 'report_location', '/opt/openclaw/workspace/reports/competitive-intel-001.md',
      'steps', jsonb_build_array(
        jsonb_build_object('title', 'Profile top 10 autonomous AI agent platforms', 'kind', 'code_generation'),
        jsonb_build_object('title', 'GitHub activity & community sentiment analysis', 'kind', 'code_generation'),
        jsonb_build_object('title', 'Gap analysis: OpenClaw vs top 5 competitors', 'kind', 'code_generation'),
        jsonb_build_object('title', 'Extract production deployment best practices', 'kind', 'code_generation'),
        jsonb_build_object('title', 'Social channel monitoring & mention tracking', 'kind', 'code_generation'),
        jsonb_build_object('title', 'Compile comparison matrix & strategic recommendations', 'kind', 'documentation'))),
    jsonb_build_object('title', 'System Health & Optimization Testing', 'priority', 7,
      'lead_agent_id', milkbot, 'supporting_agent_ids', jsonb_build_array(atlas),
      'report_location', '/opt/openclaw/workspace/reports/perf-baseline-001.md',
      'steps', jsonb_build_array(
        jsonb_build_object('title', 'Baseline system health snapshot', 'kind', 'health_check'),
        jsonb_build_object('title', 'Analyze recent logs for pre-existing issues', 'kind', 'log_analysis'),
        jsonb_build_object('title', 'Backup verification run 1 of 3', 'kind', 'backup'),
        jsonb_build_object('title', 'Backup verification run 2 of 3', 'kind', 'backup'),
        jsonb_build_object('title', 'Backup verification run 3 of 3', 'kind', 'backup'),
        jsonb_build_object('title', 'Run full test suite and validate CI parity', 'kind', 'testing'),
        jsonb_build_object('title', 'PostgreSQL mission queue performance analysis', 'kind', 'code_generation'),
        jsonb_build_object('title', 'Post-test system health comparison', 'kind', 'health_check'),
        jsonb_build_object('title', 'Compile performance report with optimization plan', 'kind', 'documentation')))))
  LOOP
    CONTINUE WHEN EXISTS (SELECT FROM missions_private.missions x WHERE x.face = 'agent' AND x.title = m->>'title');
    v_id := missions.create_agent_mission(m);
    PERFORM missions.approve_agent_mission(v_id, admin, 'demo: approved by Ada');
  END LOOP;
END
$demo$;
