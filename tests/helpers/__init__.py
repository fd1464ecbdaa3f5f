"""Code the test modules share (no test module imports another; tests/test_suite_layout.py checks it).

- principals: enrol a principal, act as one (as the HTTP app does), its bearer header, race(), free_port()
- calls: call / rows / sqlstate as a principal in one transaction, the engine clock of a session (at)
- engagement, learning, agents, analytics: builders of each face's data
- http: problem+json assertions; reliability: the invariant check and the figures of the reliability runs
- mission_model, role_matrix_table, role_matrix_world, crash_agent: the model-based test's model, the role
  matrix's table and world, the crash test's agent process
"""
