-- Reference rows the procedures expect to exist (idempotent).
INSERT IGNORE INTO assessment.system_status (status_key, value) VALUES
  ('CURRENTLY_PROCESSING_EXECUTION_RECORDS', 'N'),
  ('CURRENTLY_RUNNING_SCHEDULER', 'N');

-- The three viewer versions launch_viewer dispatches on (uuids are the production ones).
INSERT IGNORE INTO viewer_store.viewer (viewer_uuid, name) VALUES
  ('e7a3c8e4-5d04-11e3-9fa4-001a4a81450b', 'Native'),
  ('a5d5e3b0-865a-11e3-88bb-001a4a81450b', 'CodeDX'),
  ('b0e931d7-bfb2-11e5-bf72-001a4a81ffff', 'ThreadFix');
INSERT IGNORE INTO viewer_store.viewer_version (viewer_version_uuid, viewer_uuid, version_string) VALUES
  ('8f9213ef-5d04-11e3-9fa4-001a4a81450b', 'e7a3c8e4-5d04-11e3-9fa4-001a4a81450b', '1'),
  ('5d0fb63c-865a-11e3-88bb-001a4a81450b', 'a5d5e3b0-865a-11e3-88bb-001a4a81450b', '1'),
  ('b0e931d7-bfb2-11e5-bf72-001a4a814413', 'b0e931d7-bfb2-11e5-bf72-001a4a81ffff', '1');

INSERT IGNORE INTO assessment.backend_setting (setting_code, setting_value) VALUES ('BIN_DIR', '/usr/local/bin');
