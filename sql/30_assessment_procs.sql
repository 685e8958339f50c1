-- Procedures of the assessment database that the backend calls (update_execution_run_status,
-- insert_results, increment_launch_counter) and the calling procedures that run our programs
-- through sys_exec/sys_eval (execute_execution_record, process_execution_records, launch_viewer,
-- kill_assessment_run). Behaviour modelled on mirswamp/db Data Server/Assessment/assessment_procs.sql execute_execution_record, kill_assessment_run, mirswamp/services perl/agents/vmu_PostAssessment.pl, mirswamp/db Data Server/Assessment/assessment_procs.sql.
-- The command strings are byte-for-byte those of production (leading spaces, single quotes without
-- escaping, option order) except that the program directory comes from backend_bin_dir().

DELIMITER $$

-- Where the calling procedures find our programs. Production: '/usr/local/bin'. Order:
--   1. the session variable @swamp_bin_dir (a test points its own connection at a directory of
--      recording programs without touching anyone else's session),
--   2. assessment.backend_setting row BIN_DIR (db.sh start sets it to <project>/dist/bin),
--   3. '/usr/local/bin'.
-- A trailing '/' is removed so the command reads '<dir>/execute_execution_record ...'.
--
-- Two more session variables exist for tests only (unset = production behaviour):
--   @swamp_log_cmds = 1      every calling procedure logs its command string in sys_exec_cmd_log
--                            (production has these INSERTs commented out as "Verbose Logging";
--                            kill_assessment_run always logs, as in production);
--   @swamp_process_only = 'uuid1,uuid2'  process_execution_records only looks at these records, so
--                            a test never launches someone else's runs in a shared database.
CREATE OR REPLACE FUNCTION assessment.backend_bin_dir() RETURNS VARCHAR(500) CHARACTER SET utf8mb4
  NOT DETERMINISTIC READS SQL DATA
BEGIN
  DECLARE d VARCHAR(500) CHARACTER SET utf8mb4;
  SET d = NULLIF(@swamp_bin_dir, '');
  IF d IS NULL THEN
    SET d = (SELECT NULLIF(setting_value, '') FROM assessment.backend_setting WHERE setting_code = 'BIN_DIR');
  END IF;
  RETURN TRIM(TRAILING '/' FROM IFNULL(d, '/usr/local/bin'));
END$$

-- ------------------------------------------------------------------ execute_execution_record
-- Runs '<bin>/execute_execution_record <uuid>' (no quoting, as production) through sys_exec and
-- returns sys_exec's value: the raw wait status, 0 = started.
CREATE OR REPLACE PROCEDURE assessment.execute_execution_record (
    IN execution_record_uuid_in VARCHAR(45),
    OUT return_code INT
  )
BEGIN
  DECLARE cmd VARCHAR(1000);
  SET cmd = CONCAT(assessment.backend_bin_dir(), '/execute_execution_record ', execution_record_uuid_in);
  IF @swamp_log_cmds = 1 THEN
    INSERT INTO assessment.sys_exec_cmd_log (cmd, caller) VALUES (cmd, 'execute_execution_record');
  END IF;
  SET return_code = sys_exec(cmd);
END$$

-- ------------------------------------------------------------------ validate_execution_record
-- 'Y' when user, project, platform, tool and package allow the run; otherwise the message that
-- process_execution_records writes into status.
CREATE OR REPLACE PROCEDURE assessment.validate_execution_record (
    IN execution_record_uuid_in VARCHAR(45),
    OUT return_code VARCHAR(100)
  )
sp: BEGIN
  DECLARE v_project, v_platform_version, v_tool_version, v_package_version, v_user, v_tool VARCHAR(45);
  DECLARE v_tool_sharing VARCHAR(25);
  DECLARE v_policy, v_permission VARCHAR(100);
  DECLARE v_grant, v_delete, v_expire DATETIME;
  DECLARE user_ok, project_ok, platform_ok, package_ok CHAR(1);
  DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN END;

  SELECT project_uuid, platform_version_uuid, tool_version_uuid, package_version_uuid, user_uuid
    INTO v_project, v_platform_version, v_tool_version, v_package_version, v_user
    FROM assessment.execution_record WHERE execution_record_uuid = execution_record_uuid_in;

  SELECT 'Y' INTO user_ok FROM project.user_account WHERE user_uid = v_user AND enabled_flag = 1;
  SELECT 'Y' INTO project_ok FROM project.project
   WHERE project_uid = v_project AND denial_date IS NULL AND deactivation_date IS NULL;
  SELECT 'Y' INTO platform_ok
    FROM platform_store.platform_version pv JOIN platform_store.platform p ON p.platform_uuid = pv.platform_uuid
   WHERE pv.platform_version_uuid = v_platform_version
     AND (UPPER(p.platform_sharing_status) = 'PUBLIC'
          OR (UPPER(p.platform_sharing_status) = 'PROTECTED'
              AND EXISTS (SELECT 1 FROM platform_store.platform_sharing ps
                           WHERE ps.platform_uuid = p.platform_uuid AND ps.project_uuid = v_project)));

  SELECT t.tool_uuid, t.tool_sharing_status, t.policy_code, per.permission_code
    INTO v_tool, v_tool_sharing, v_policy, v_permission
    FROM tool_shed.tool_version tv JOIN tool_shed.tool t ON t.tool_uuid = tv.tool_uuid
    LEFT JOIN project.permission per ON per.policy_code = t.policy_code
   WHERE tv.tool_version_uuid = v_tool_version
   LIMIT 1;

  IF UPPER(v_tool_sharing) = 'PROTECTED'
     AND NOT EXISTS (SELECT 1 FROM tool_shed.tool_sharing WHERE tool_uuid = v_tool AND project_uuid = v_project) THEN
    SET return_code = 'Error: tool not shared with project'; LEAVE sp;
  ELSEIF UPPER(v_tool_sharing) != 'PUBLIC' AND UPPER(v_tool_sharing) != 'PROTECTED' THEN
    SET return_code = 'Error: tool is private'; LEAVE sp;
  END IF;
  IF v_policy IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM project.user_policy up
                      WHERE up.policy_code = v_policy AND up.user_uid = v_user AND up.accept_flag = 1) THEN
    SET return_code = 'Error: user has not agreed to tool policy'; LEAVE sp;
  END IF;
  IF v_permission IS NOT NULL THEN
    SELECT grant_date, delete_date, expiration_date INTO v_grant, v_delete, v_expire
      FROM project.user_permission WHERE permission_code = v_permission AND user_uid = v_user;
    IF v_grant IS NULL THEN SET return_code = 'Error: need permission to use this tool'; LEAVE sp;
    ELSEIF v_delete IS NOT NULL THEN SET return_code = 'Error: permission to use this tool has been revoked'; LEAVE sp;
    ELSEIF v_expire IS NOT NULL AND v_expire < NOW() THEN SET return_code = 'Error: permission to use this tool has expired'; LEAVE sp;
    END IF;
  END IF;

  SELECT 'Y' INTO package_ok FROM package_store.package_version pv
   WHERE pv.package_version_uuid = v_package_version
     AND (UPPER(pv.version_sharing_status) = 'PUBLIC'
          OR (UPPER(pv.version_sharing_status) = 'PROTECTED'
              AND EXISTS (SELECT 1 FROM package_store.package_version_sharing s
                           WHERE s.package_version_uuid = v_package_version AND s.project_uuid = v_project)));

  IF user_ok = 'Y' AND project_ok = 'Y' AND platform_ok = 'Y' AND package_ok = 'Y' THEN SET return_code = 'Y';
  ELSEIF user_ok IS NULL THEN SET return_code = 'FAILED TO VALIDATE ASSESSMENT DATA: USER ACCT DISABLED';
  ELSEIF project_ok IS NULL THEN SET return_code = 'FAILED TO VALIDATE ASSESSMENT DATA: PROJECT DISABLED';
  ELSEIF platform_ok IS NULL THEN SET return_code = 'FAILED TO VALIDATE ASSESSMENT DATA: PLATFORM NOT AVAILABLE';
  ELSEIF package_ok IS NULL THEN SET return_code = 'FAILED TO VALIDATE ASSESSMENT DATA: PACKAGE NOT AVAILABLE';
  ELSE SET return_code = 'FAILED TO VALIDATE ASSESSMENT DATA';
  END IF;
END$$

-- ------------------------------------------------------------------ increment_launch_counter
-- launch_counter = in + 1, launch_countdown = 20 (the ~60 s back-off between DB relaunches);
-- returns the new counter, -1 when the record does not exist.
CREATE OR REPLACE PROCEDURE assessment.increment_launch_counter (
    IN execution_record_uuid_in VARCHAR(45),
    IN launch_counter_in INT,
    OUT launch_counter_out INT
  )
BEGIN
  IF (SELECT COUNT(*) FROM assessment.execution_record WHERE execution_record_uuid = execution_record_uuid_in) = 1 THEN
    UPDATE assessment.execution_record
       SET launch_counter = launch_counter_in + 1, launch_countdown = 20
     WHERE execution_record_uuid = execution_record_uuid_in;
    SET launch_counter_out = (SELECT launch_counter FROM assessment.execution_record
                               WHERE execution_record_uuid = execution_record_uuid_in);
  ELSE
    SET launch_counter_out = -1;
  END IF;
END$$

-- ------------------------------------------------------------------ process_execution_records
-- The DB launch loop (event every 3 s in production). For each execution_record with launch_flag=1:
-- give up after 15 launches, count the back-off down, validate, increment the counter and run
-- execute_execution_record; status 'SUBMITTING TO HTCONDOR' when sys_exec returned 0.
CREATE OR REPLACE PROCEDURE assessment.process_execution_records ()
BEGIN
  DECLARE v_uuid VARCHAR(45);
  DECLARE v_flag, v_counter, v_countdown, v_exec_rc, v_counter_rtn INT;
  DECLARE v_valid VARCHAR(100);
  DECLARE done BOOL DEFAULT FALSE;
  DECLARE counter_limit INT DEFAULT 15;
  DECLARE cur CURSOR FOR SELECT execution_record_uuid FROM assessment.execution_record
                          WHERE launch_flag = 1
                            AND (@swamp_process_only IS NULL OR FIND_IN_SET(execution_record_uuid, @swamp_process_only) > 0);
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = TRUE;

  UPDATE assessment.system_status SET value = 'Y' WHERE status_key = 'CURRENTLY_PROCESSING_EXECUTION_RECORDS';
  OPEN cur;
  rd: LOOP
    -- a NOT FOUND inside the body (a record deleted meanwhile) must not end the loop
    SET done = FALSE;
    FETCH cur INTO v_uuid;
    IF done THEN LEAVE rd; END IF;
    SELECT launch_flag, launch_counter, launch_countdown INTO v_flag, v_counter, v_countdown
      FROM assessment.execution_record WHERE execution_record_uuid = v_uuid;
    IF v_flag != 1 THEN ITERATE rd; END IF;
    IF v_counter >= counter_limit THEN
      UPDATE assessment.execution_record SET launch_flag = 0, complete_flag = 1, status = 'Failed to launch'
       WHERE execution_record_uuid = v_uuid;
      ITERATE rd;
    END IF;
    IF v_countdown > 0 THEN
      UPDATE assessment.execution_record SET launch_countdown = launch_countdown - 1
       WHERE execution_record_uuid = v_uuid;
      ITERATE rd;
    END IF;
    SET v_valid = NULL;
    CALL assessment.validate_execution_record(v_uuid, v_valid);
    IF IFNULL(v_valid, 'N') != 'Y' THEN
      UPDATE assessment.execution_record SET status = v_valid, launch_flag = 0, complete_flag = 1
       WHERE execution_record_uuid = v_uuid;
      ITERATE rd;
    END IF;
    CALL assessment.increment_launch_counter(v_uuid, v_counter, v_counter_rtn);
    IF v_counter_rtn != -1 THEN
      CALL assessment.execute_execution_record(v_uuid, v_exec_rc);
      IF v_exec_rc = 0 THEN
        UPDATE assessment.execution_record SET status = 'SUBMITTING TO HTCONDOR' WHERE execution_record_uuid = v_uuid;
      END IF;
    ELSE
      UPDATE assessment.execution_record SET status = 'FAILURE TO INCREMENT LAUNCH COUNTER'
       WHERE execution_record_uuid = v_uuid;
    END IF;
  END LOOP;
  CLOSE cur;
  UPDATE assessment.system_status SET value = 'N' WHERE status_key = 'CURRENTLY_PROCESSING_EXECUTION_RECORDS';
END$$

-- ------------------------------------------------------------------ update_execution_run_status
-- One field per call (the backend calls it once per field); M-% ids go to metric.metric_run.
-- run_date / completion_date also set queued_duration / execution_duration; a status starting with
-- 'Finished' clears vm_password (assessment runs). Unknown field -> SQL error (CASE without ELSE).
CREATE OR REPLACE PROCEDURE assessment.update_execution_run_status (
    IN execution_record_uuid_in VARCHAR(45),
    IN field_name_in VARCHAR(45),
    IN field_value_in VARCHAR(128),
    OUT return_string VARCHAR(100)
  )
BEGIN
  IF execution_record_uuid_in LIKE 'M-%' THEN
    IF (SELECT COUNT(*) FROM metric.metric_run WHERE metric_run_uuid = execution_record_uuid_in) = 1 THEN
      CASE field_name_in
        WHEN 'status' THEN UPDATE metric.metric_run SET status = field_value_in WHERE metric_run_uuid = execution_record_uuid_in;
        WHEN 'execute_node_architecture_id' THEN UPDATE metric.metric_run SET execute_node_architecture_id = field_value_in WHERE metric_run_uuid = execution_record_uuid_in;
        WHEN 'lines_of_code' THEN UPDATE metric.metric_run SET code_lines = field_value_in WHERE metric_run_uuid = execution_record_uuid_in;
        WHEN 'cpu_utilization' THEN UPDATE metric.metric_run SET cpu_utilization = field_value_in WHERE metric_run_uuid = execution_record_uuid_in;
        WHEN 'vm_password' THEN UPDATE metric.metric_run SET vm_password = field_value_in WHERE metric_run_uuid = execution_record_uuid_in;
        WHEN 'vm_hostname' THEN UPDATE metric.metric_run SET vm_hostname = field_value_in WHERE metric_run_uuid = execution_record_uuid_in;
        WHEN 'vm_username' THEN UPDATE metric.metric_run SET vm_username = field_value_in WHERE metric_run_uuid = execution_record_uuid_in;
        WHEN 'vm_image' THEN UPDATE metric.metric_run SET vm_image = field_value_in WHERE metric_run_uuid = execution_record_uuid_in;
        WHEN 'vm_ip_address' THEN UPDATE metric.metric_run SET vm_ip_address = field_value_in WHERE metric_run_uuid = execution_record_uuid_in;
        WHEN 'tool_filename' THEN UPDATE metric.metric_run SET tool_filename = field_value_in WHERE metric_run_uuid = execution_record_uuid_in;
        WHEN 'run_date' THEN UPDATE metric.metric_run SET run_date = field_value_in, queued_duration = TIMEDIFF(field_value_in, create_date) WHERE metric_run_uuid = execution_record_uuid_in;
        WHEN 'completion_date' THEN UPDATE metric.metric_run SET completion_date = field_value_in, execution_duration = TIMEDIFF(field_value_in, run_date) WHERE metric_run_uuid = execution_record_uuid_in;
        WHEN 'slot_size_start' THEN UPDATE metric.metric_run SET slot_size_start = field_value_in WHERE metric_run_uuid = execution_record_uuid_in;
        WHEN 'slot_size_end' THEN UPDATE metric.metric_run SET slot_size_end = field_value_in WHERE metric_run_uuid = execution_record_uuid_in;
      END CASE;
      SET return_string = 'SUCCESS';
    ELSE
      SET return_string = 'ERROR: Record Not Found';
    END IF;
  ELSE
    IF (SELECT COUNT(*) FROM assessment.execution_record WHERE execution_record_uuid = execution_record_uuid_in) = 1 THEN
      CASE field_name_in
        WHEN 'status' THEN UPDATE assessment.execution_record SET status = field_value_in WHERE execution_record_uuid = execution_record_uuid_in;
        WHEN 'execute_node_architecture_id' THEN UPDATE assessment.execution_record SET execute_node_architecture_id = field_value_in WHERE execution_record_uuid = execution_record_uuid_in;
        WHEN 'lines_of_code' THEN UPDATE assessment.execution_record SET code_lines = field_value_in WHERE execution_record_uuid = execution_record_uuid_in;
        WHEN 'cpu_utilization' THEN UPDATE assessment.execution_record SET cpu_utilization = field_value_in WHERE execution_record_uuid = execution_record_uuid_in;
        WHEN 'vm_password' THEN UPDATE assessment.execution_record SET vm_password = field_value_in WHERE execution_record_uuid = execution_record_uuid_in;
        WHEN 'vm_hostname' THEN UPDATE assessment.execution_record SET vm_hostname = field_value_in WHERE execution_record_uuid = execution_record_uuid_in;
        WHEN 'vm_username' THEN UPDATE assessment.execution_record SET vm_username = field_value_in WHERE execution_record_uuid = execution_record_uuid_in;
        WHEN 'vm_image' THEN UPDATE assessment.execution_record SET vm_image = field_value_in WHERE execution_record_uuid = execution_record_uuid_in;
        WHEN 'vm_ip_address' THEN UPDATE assessment.execution_record SET vm_ip_address = field_value_in WHERE execution_record_uuid = execution_record_uuid_in;
        WHEN 'tool_filename' THEN UPDATE assessment.execution_record SET tool_filename = field_value_in WHERE execution_record_uuid = execution_record_uuid_in;
        WHEN 'run_date' THEN UPDATE assessment.execution_record SET run_date = field_value_in, queued_duration = TIMEDIFF(field_value_in, create_date) WHERE execution_record_uuid = execution_record_uuid_in;
        WHEN 'completion_date' THEN UPDATE assessment.execution_record SET completion_date = field_value_in, execution_duration = TIMEDIFF(field_value_in, run_date) WHERE execution_record_uuid = execution_record_uuid_in;
        WHEN 'slot_size_start' THEN UPDATE assessment.execution_record SET slot_size_start = field_value_in WHERE execution_record_uuid = execution_record_uuid_in;
        WHEN 'slot_size_end' THEN UPDATE assessment.execution_record SET slot_size_end = field_value_in WHERE execution_record_uuid = execution_record_uuid_in;
      END CASE;
      UPDATE assessment.execution_record SET vm_password = NULL
       WHERE status LIKE 'Finished%' AND execution_record_uuid = execution_record_uuid_in;
      SET return_string = 'SUCCESS';
    ELSE
      SET return_string = 'ERROR: Record Not Found';
    END IF;
  END IF;
END$$

-- ------------------------------------------------------------------ insert_results
-- Called by the post-assessment hook: records the result files of a run. M-% ids are routed to
-- metric.insert_results (which has no assessment_result_uuid / lines_of_code parameters).
CREATE OR REPLACE PROCEDURE assessment.insert_results (
    IN execution_record_uuid_in VARCHAR(45),
    IN assessment_result_uuid_in VARCHAR(45),
    IN result_path_in VARCHAR(200),
    IN result_checksum_in VARCHAR(200),
    IN source_archive_path_in VARCHAR(200),
    IN source_archive_checksum_in VARCHAR(200),
    IN log_path_in VARCHAR(200),
    IN log_checksum_in VARCHAR(200),
    IN weakness_cnt_in INT,
    IN lines_of_code_in INT,
    IN status_out_in VARCHAR(3000),
    IN status_out_error_msg_in VARCHAR(200),
    OUT return_string VARCHAR(100)
  )
BEGIN
  DECLARE v_metric_rs VARCHAR(100);
  IF execution_record_uuid_in LIKE 'M-%' THEN
    CALL metric.insert_results(execution_record_uuid_in, result_path_in, result_checksum_in,
         source_archive_path_in, source_archive_checksum_in, log_path_in, log_checksum_in,
         weakness_cnt_in, status_out_in, status_out_error_msg_in, v_metric_rs);
    SET return_string = v_metric_rs;
  ELSEIF (SELECT COUNT(*) FROM assessment.execution_record WHERE execution_record_uuid = execution_record_uuid_in) = 1 THEN
    INSERT INTO assessment.assessment_result (
        assessment_result_uuid, execution_record_uuid, project_uuid, weakness_cnt,
        file_host, file_path, checksum, source_archive_path, source_archive_checksum, log_path, log_checksum,
        status_out, status_out_error_msg,
        platform_name, platform_version, tool_name, tool_version, package_name, package_version,
        platform_version_uuid, tool_version_uuid, tool_uuid, package_version_uuid, policy_code,
        run_date, execute_node_architecture_id, vm_hostname, vm_ip_address)
    SELECT assessment_result_uuid_in, er.execution_record_uuid, er.project_uuid,
           CASE weakness_cnt_in WHEN -1 THEN NULL ELSE weakness_cnt_in END,
           'SWAMP', result_path_in, result_checksum_in, source_archive_path_in, source_archive_checksum_in,
           log_path_in, log_checksum_in, status_out_in, status_out_error_msg_in,
           p.name, plv.version_string, t.name, tv.version_string, pkg.name, pv.version_string,
           er.platform_version_uuid, er.tool_version_uuid, tv.tool_uuid, er.package_version_uuid, t.policy_code,
           er.run_date, er.execute_node_architecture_id, er.vm_hostname, er.vm_ip_address
      FROM assessment.execution_record er
      LEFT JOIN platform_store.platform_version plv ON plv.platform_version_uuid = er.platform_version_uuid
      LEFT JOIN platform_store.platform p ON p.platform_uuid = plv.platform_uuid
      LEFT JOIN tool_shed.tool_version tv ON tv.tool_version_uuid = er.tool_version_uuid
      LEFT JOIN tool_shed.tool t ON t.tool_uuid = tv.tool_uuid
      LEFT JOIN package_store.package_version pv ON pv.package_version_uuid = er.package_version_uuid
      LEFT JOIN package_store.package pkg ON pkg.package_uuid = pv.package_uuid
     WHERE er.execution_record_uuid = execution_record_uuid_in;
    IF lines_of_code_in IS NOT NULL THEN
      UPDATE assessment.execution_record SET code_lines = lines_of_code_in
       WHERE execution_record_uuid = execution_record_uuid_in;
    END IF;
    SET return_string = 'SUCCESS';
  ELSE
    SET return_string = 'ERROR: Record Not Found';
  END IF;
END$$

-- ------------------------------------------------------------------ kill_assessment_run
-- ' <bin>/kill_run --execution_record_uuid '<id>' --hard '<flag>'' (each option only when not
-- NULL), always logged in sys_exec_cmd_log, run with sys_exec; 'SUCCESS' iff sys_exec returned 0
-- (the program started; not that the kill worked). Passes any id: arun, M-…, project uuid, bogus.
CREATE OR REPLACE PROCEDURE assessment.kill_assessment_run (
    IN execution_record_uuid_in VARCHAR(45),
    IN hard_kill_flag_in VARCHAR(45),
    OUT return_string VARCHAR(100)
  )
BEGIN
  DECLARE cmd VARCHAR(1000);
  DECLARE cmd_return VARCHAR(100);
  SET cmd = CONCAT(' ', assessment.backend_bin_dir(), '/kill_run',
                   IFNULL(CONCAT(' --execution_record_uuid \'', execution_record_uuid_in, '\''), ''),
                   IFNULL(CONCAT(' --hard \'', hard_kill_flag_in, '\''), ''),
                   '');
  INSERT INTO assessment.sys_exec_cmd_log (cmd, caller) VALUES (cmd, 'kill_assessment_run');
  SET cmd_return = sys_exec(cmd);
  IF cmd_return != 0 THEN SET return_string = 'ERROR';
  ELSE SET return_string = 'SUCCESS';
  END IF;
END$$

-- ------------------------------------------------------------------ launch_viewer
-- Called by the web. Native viewer: a synchronous file transform through sys_eval, the printed
-- file name becomes return_path. CodeDX/ThreadFix: finds or creates the viewer_instance of
-- (viewer version, project) and starts the viewer program through sys_eval ('SUCCESS' expected).
CREATE OR REPLACE PROCEDURE assessment.launch_viewer (
    IN assessment_result_uuid_in VARCHAR(5000),
    IN user_uuid_in VARCHAR(45),
    IN viewer_version_uuid_in VARCHAR(45),
    IN project_uuid_in VARCHAR(45),
    IN destination_base_path_in VARCHAR(45),
    IN results_type_in VARCHAR(45),
    OUT return_path VARCHAR(200),
    OUT return_string VARCHAR(100),
    OUT viewer_instance_uuid_out VARCHAR(45)
  )
BEGIN
  DECLARE user_ok, project_user_ok CHAR(1);
  DECLARE n_viewer_version, n_project, n_result, n_instance INT;
  DECLARE v_lock VARCHAR(100);
  DECLARE v_package_type_id INT;
  DECLARE v_platform_name, v_platform_version, v_tool_name, v_tool_version, v_package_name, v_package_version VARCHAR(100);
  DECLARE v_er_uuid VARCHAR(45);
  DECLARE v_start, v_end VARCHAR(100);
  DECLARE v_file_path, v_parent_dir, v_source_archive, v_db_path, v_db_checksum VARCHAR(200);
  DECLARE v_viewer_name VARCHAR(100);
  DECLARE v_instance VARCHAR(45);
  DECLARE cmd VARCHAR(5000);
  DECLARE xfm_return, launch_return VARCHAR(500);
  DECLARE v_list VARCHAR(5000);
  DECLARE v_comma INT;
  DECLARE v_first, v_next VARCHAR(50);
  DECLARE bin VARCHAR(500);
  DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN END;

  SET bin = assessment.backend_bin_dir();
  SELECT DISTINCT 'Y' INTO user_ok FROM project.user_account WHERE user_uid = user_uuid_in AND enabled_flag = 1;
  SELECT DISTINCT 'Y' INTO project_user_ok FROM project.project_user pu
   WHERE pu.project_uid = project_uuid_in AND pu.user_uid = user_uuid_in AND pu.delete_date IS NULL
     AND (pu.expire_date > NOW() OR pu.expire_date IS NULL);
  SELECT COUNT(*) INTO n_viewer_version FROM viewer_store.viewer_version WHERE viewer_version_uuid = viewer_version_uuid_in;
  SELECT COUNT(*) INTO n_project FROM project.project WHERE project_uid = project_uuid_in;

  IF project_user_ok = 'Y' AND user_ok = 'Y' AND n_viewer_version = 1 AND n_project = 1 THEN
    IF viewer_version_uuid_in = '8f9213ef-5d04-11e3-9fa4-001a4a81450b' THEN
      -- Native
      SELECT COUNT(*) INTO n_result FROM assessment.assessment_result WHERE assessment_result_uuid = assessment_result_uuid_in;
      IF n_result = 1 THEN
        SELECT file_path, platform_name, platform_version, tool_name, tool_version, package_name, package_version, execution_record_uuid
          INTO v_file_path, v_platform_name, v_platform_version, v_tool_name, v_tool_version, v_package_name, v_package_version, v_er_uuid
          FROM assessment.assessment_result WHERE assessment_result_uuid = assessment_result_uuid_in;
        SELECT run_date, completion_date INTO v_start, v_end
          FROM assessment.execution_record WHERE execution_record_uuid = v_er_uuid;
        SELECT p.package_type_id INTO v_package_type_id
          FROM package_store.package p
          JOIN package_store.package_version pv ON pv.package_uuid = p.package_uuid
          JOIN assessment.assessment_result ar ON ar.package_version_uuid = pv.package_version_uuid
         WHERE ar.assessment_result_uuid = assessment_result_uuid_in;
        SET v_parent_dir = SUBSTRING_INDEX(SUBSTRING_INDEX(v_file_path, '/', -2), '/', 1);
        SET cmd = CONCAT(' ', bin, '/launch_viewer',
                         ' --viewer_name \'Native\'',
                         IFNULL(CONCAT(' --results_type \'', results_type_in, '\''), ''),
                         IFNULL(CONCAT(' --package_type \'', v_package_type_id, '\''), ''),
                         IFNULL(CONCAT(' --file_path \'', v_file_path, '\''), ''),
                         IFNULL(CONCAT(' --outdir \'', destination_base_path_in, assessment_result_uuid_in, '\''), ''),
                         IFNULL(CONCAT(' --package_name \'', v_package_name, '\''), ''),
                         IFNULL(CONCAT(' --package_version \'', v_package_version, '\''), ''),
                         IFNULL(CONCAT(' --tool_name \'', v_tool_name, '\''), ''),
                         IFNULL(CONCAT(' --tool_version \'', v_tool_version, '\''), ''),
                         IFNULL(CONCAT(' --platform_name \'', v_platform_name, '\''), ''),
                         IFNULL(CONCAT(' --platform_version \'', v_platform_version, '\''), ''),
                         IFNULL(CONCAT(' --start_date \'', v_start, '\''), ''),
                         IFNULL(CONCAT(' --end_date \'', v_end, '\''), ''),
                         IFNULL(CONCAT(' --user_uuid \'', user_uuid_in, '\''), ''),
                         '');
        IF @swamp_log_cmds = 1 THEN
          INSERT INTO assessment.sys_exec_cmd_log (cmd, caller) VALUES (cmd, 'launch_viewer');
        END IF;
        SET xfm_return = sys_eval(cmd);
        INSERT INTO viewer_store.viewer_launch_history
               (viewer_version_uuid, project_uuid, viewer_instance_uuid, assessment_result_uuid, user_uuid, run_date)
        VALUES (viewer_version_uuid_in, project_uuid_in, 'NATIVE', assessment_result_uuid_in, user_uuid_in, NOW());
        IF xfm_return IS NULL OR xfm_return LIKE '%ERROR%' THEN
          SET return_string = 'ERROR FILE XFM';
        ELSE
          SET return_string = 'SUCCESS',
              return_path = CONCAT(destination_base_path_in, v_parent_dir, '/', xfm_return);
        END IF;
      ELSE
        SET return_string = 'ERROR: RESULT NOT FOUND';
      END IF;
    ELSEIF viewer_version_uuid_in IN ('5d0fb63c-865a-11e3-88bb-001a4a81450b', 'b0e931d7-bfb2-11e5-bf72-001a4a814413') THEN
      -- CodeDX / ThreadFix
      SET v_viewer_name = IF(viewer_version_uuid_in = '5d0fb63c-865a-11e3-88bb-001a4a81450b', 'CodeDX', 'ThreadFix');
      -- Find-or-create under a named lock: concurrent first launches of a project's viewer (the web
      -- sends several on a double click) must not create two instances, after which every launch
      -- would answer 'Viewer Instance Error'. Production's procedure has no lock (docs/database.md).
      SET v_lock = CONCAT('swamp_viewer_instance_', project_uuid_in);
      DO GET_LOCK(v_lock, 10);
      SELECT COUNT(*) INTO n_instance FROM viewer_store.viewer_instance
       WHERE viewer_version_uuid = viewer_version_uuid_in AND project_uuid = project_uuid_in;
      IF n_instance = 1 THEN
        SELECT viewer_instance_uuid, viewer_db_path, viewer_db_checksum INTO v_instance, v_db_path, v_db_checksum
          FROM viewer_store.viewer_instance
         WHERE viewer_version_uuid = viewer_version_uuid_in AND project_uuid = project_uuid_in;
      ELSEIF n_instance = 0 THEN
        SET v_instance = UUID();
        INSERT INTO viewer_store.viewer_instance (viewer_instance_uuid, viewer_version_uuid, project_uuid)
        VALUES (v_instance, viewer_version_uuid_in, project_uuid_in);
      ELSE
        SET return_string = 'ERROR: Viewer Instance Error';
      END IF;
      DO RELEASE_LOCK(v_lock);
      SET cmd = CONCAT(' ', bin, '/launch_viewer',
                       IFNULL(CONCAT(' --viewer_name \'', v_viewer_name, '\''), ''),
                       IFNULL(CONCAT(' --project \'', project_uuid_in, '\''), ''),
                       IFNULL(CONCAT(' --viewer_db_path \'', v_db_path, '\''), ''),
                       IFNULL(CONCAT(' --viewer_db_checksum \'', v_db_checksum, '\''), ''),
                       IFNULL(CONCAT(' --viewer_uuid \'', v_instance, '\''), ''),
                       IFNULL(CONCAT(' --user_uuid \'', user_uuid_in, '\''), ''),
                       '');
      IF assessment_result_uuid_in IS NOT NULL THEN
        -- as production: a trailing comma is added to the list (and kept in the first history row)
        IF RIGHT(assessment_result_uuid_in, 1) <> ',' AND LENGTH(assessment_result_uuid_in) > 0 THEN
          SET assessment_result_uuid_in = CONCAT(assessment_result_uuid_in, ',');
        END IF;
        SET v_list = assessment_result_uuid_in;
        SET v_comma = INSTR(v_list, ',');
        SET v_first = SUBSTRING(v_list, 1, v_comma - 1);
        SET v_list = SUBSTRING(v_list, v_comma + 1);
        SELECT COUNT(*) INTO n_result FROM assessment.assessment_result WHERE assessment_result_uuid = v_first;
        IF n_result = 1 THEN
          SELECT package_name, tool_name, file_path, source_archive_path
            INTO v_package_name, v_tool_name, v_file_path, v_source_archive
            FROM assessment.assessment_result WHERE assessment_result_uuid = v_first;
          SELECT p.package_type_id INTO v_package_type_id
            FROM package_store.package p
            JOIN package_store.package_version pv ON pv.package_uuid = p.package_uuid
            JOIN assessment.assessment_result ar ON ar.package_version_uuid = pv.package_version_uuid
           WHERE ar.assessment_result_uuid = v_first;
          SET cmd = CONCAT(cmd,
                           IFNULL(CONCAT(' --package \'', v_package_name, '\''), ''),
                           IFNULL(CONCAT(' --tool_name \'', v_tool_name, '\''), ''),
                           IFNULL(CONCAT(' --source_archive_path \'', v_source_archive, '\''), ''),
                           IFNULL(CONCAT(' --package_type \'', v_package_type_id, '\''), ''),
                           IFNULL(CONCAT(' --file_path \'', v_file_path, '\''), ''),
                           '');
          INSERT INTO viewer_store.viewer_launch_history
                 (viewer_version_uuid, project_uuid, viewer_instance_uuid, assessment_result_uuid, user_uuid, run_date)
          VALUES (viewer_version_uuid_in, project_uuid_in, v_instance, assessment_result_uuid_in, user_uuid_in, NOW());
          WHILE LENGTH(v_list) > 0 DO
            SET v_comma = INSTR(v_list, ',');
            IF v_comma = 0 THEN SET v_list = CONCAT(v_list, ','); SET v_comma = INSTR(v_list, ','); END IF;
            SET v_next = SUBSTRING(v_list, 1, v_comma - 1);
            SET v_list = SUBSTRING(v_list, v_comma + 1);
            SET v_file_path = NULL;
            SELECT file_path INTO v_file_path FROM assessment.assessment_result WHERE assessment_result_uuid = v_next;
            SET cmd = CONCAT(cmd, IFNULL(CONCAT(' --file_path \'', v_file_path, '\''), ''));
            INSERT INTO viewer_store.viewer_launch_history
                   (viewer_version_uuid, project_uuid, viewer_instance_uuid, assessment_result_uuid, user_uuid, run_date)
            VALUES (viewer_version_uuid_in, project_uuid_in, v_instance, v_next, user_uuid_in, NOW());
          END WHILE;
        ELSE
          SET return_string = 'ERROR: RESULT NOT FOUND';
        END IF;
      END IF;
      IF @swamp_log_cmds = 1 THEN
        INSERT INTO assessment.sys_exec_cmd_log (cmd, caller) VALUES (cmd, 'launch_viewer');
      END IF;
      SET launch_return = sys_eval(cmd);
      IF UPPER(launch_return) LIKE '%ERROR%' THEN SET return_string = launch_return;
      ELSEIF launch_return IS NULL THEN SET return_string = 'Error Launching Viewer';
      ELSE SET return_string = 'SUCCESS';
      END IF;
      SET viewer_instance_uuid_out = v_instance;
    ELSE
      SET return_string = 'ERROR: INVALID VIEWER VERSION UUID';
    END IF;
  ELSEIF n_viewer_version != 1 THEN SET return_string = 'ERROR: VIEWER VERSION NOT FOUND';
  ELSEIF n_project != 1 THEN SET return_string = 'ERROR: PROJECT NOT FOUND';
  ELSEIF IFNULL(user_ok, 'N') != 'Y' THEN SET return_string = 'ERROR: USER ACCOUNT NOT VALID';
  ELSEIF IFNULL(project_user_ok, 'N') != 'Y' THEN SET return_string = 'ERROR: USER PROJECT PERMISSION NOT VALID';
  ELSE SET return_string = 'ERROR: UNSPECIFIED ERROR';
  END IF;
END$$

-- ------------------------------------------------------------------ triggers
CREATE OR REPLACE TRIGGER assessment.execution_record_BINS BEFORE INSERT ON assessment.execution_record
FOR EACH ROW SET NEW.create_user = USER(), NEW.create_date = NOW()$$

-- Deleting a run that is still going kills it (web "delete" = set delete_date).
CREATE OR REPLACE TRIGGER assessment.execution_record_BUPD BEFORE UPDATE ON assessment.execution_record
FOR EACH ROW
BEGIN
  DECLARE rs VARCHAR(100);
  SET NEW.update_user = USER(), NEW.update_date = NOW();
  IF OLD.delete_date IS NULL AND NEW.delete_date IS NOT NULL AND NEW.complete_flag = 0 THEN
    SET NEW.launch_flag = 0;
    CALL assessment.kill_assessment_run(NEW.execution_record_uuid, 1, rs);
  END IF;
END$$

CREATE OR REPLACE TRIGGER assessment.assessment_result_BINS BEFORE INSERT ON assessment.assessment_result
FOR EACH ROW SET NEW.create_user = USER(), NEW.create_date = NOW()$$

CREATE OR REPLACE TRIGGER assessment.sys_exec_cmd_log_BINS BEFORE INSERT ON assessment.sys_exec_cmd_log
FOR EACH ROW SET NEW.create_user = USER(), NEW.create_date = NOW()$$

-- ------------------------------------------------------------------ event
-- As production (every 3 s, skipped while a previous pass is younger than 5 min). It only runs when
-- the event scheduler is on; db.sh starts the server with event-scheduler=OFF so tests drive
-- process_execution_records themselves (SET GLOBAL event_scheduler = ON for end-to-end runs).
CREATE OR REPLACE EVENT assessment.process_execution_records
  ON SCHEDULE EVERY 3 SECOND
  DO
BEGIN
  DECLARE busy VARCHAR(1);
  DECLARE busy_since TIMESTAMP;
  SELECT value, update_date INTO busy, busy_since FROM assessment.system_status
   WHERE status_key = 'CURRENTLY_PROCESSING_EXECUTION_RECORDS';
  IF busy = 'Y' AND TIMEDIFF(NOW(), busy_since) < '00:05:00' THEN
    INSERT INTO assessment.sys_exec_cmd_log (cmd, caller)
    VALUES ('Call to procedure process_execution_records skipped because procedure is currently running.', 'process_execution_records');
  ELSE
    IF busy = 'Y' THEN
      INSERT INTO assessment.sys_exec_cmd_log (cmd, caller)
      VALUES ('process_execution_records running longer than 5 minutes.', 'process_execution_records');
    END IF;
    CALL assessment.process_execution_records();
  END IF;
END$$

DELIMITER ;
