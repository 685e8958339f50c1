-- metric and viewer_store procedures the backend (or assessment.insert_results) calls.

DELIMITER $$

-- Records a metric run's result. Production also copies the file into
-- /swamp/store/SCAPackages/Metrics/<uuid>/ with mkdir/cp/chmod through sys_exec and stores that
-- path; the fixture stores result_path as given (no shell commands in a test database).
CREATE OR REPLACE PROCEDURE metric.insert_results (
    IN metric_run_uuid_in VARCHAR(45),
    IN result_path_in VARCHAR(200),
    IN result_checksum_in VARCHAR(200),
    IN source_archive_path_in VARCHAR(200),
    IN source_archive_checksum_in VARCHAR(200),
    IN log_path_in VARCHAR(200),
    IN log_checksum_in VARCHAR(200),
    IN weakness_cnt_in INT,
    IN status_out_in VARCHAR(3000),
    IN status_out_error_msg_in VARCHAR(200),
    OUT return_string VARCHAR(100)
  )
BEGIN
  IF (SELECT COUNT(*) FROM metric.metric_run WHERE metric_run_uuid = metric_run_uuid_in) = 1 THEN
    UPDATE metric.metric_run
       SET file_host = 'SWAMP', result_path = result_path_in, result_checksum = result_checksum_in,
           status_out = status_out_in, status_out_error_msg = status_out_error_msg_in
     WHERE metric_run_uuid = metric_run_uuid_in;
    SET return_string = 'SUCCESS';
  ELSE
    SET return_string = 'ERROR: Record Not Found';
  END IF;
END$$

-- Creates one metric run (uuid 'M-<uuid()>', launch_counter 1) per metric tool that fits the package
-- type and runs '<bin>/execute_execution_record M-<uuid>' for each through sys_exec at once,
-- appending SUCCESS or ERROR per tool to return_string. No relaunch loop for metric runs.
CREATE OR REPLACE PROCEDURE metric.create_metric_run (
    IN package_uuid_in VARCHAR(45),
    IN package_version_uuid_in VARCHAR(45),
    IN package_type_id_in INT,
    OUT return_string VARCHAR(100)
  )
BEGIN
  DECLARE v_run, v_tool, v_tool_version, v_platform, v_platform_version, v_owner VARCHAR(45);
  DECLARE cmd VARCHAR(1000);
  DECLARE rc INT;
  DECLARE done BOOL DEFAULT FALSE;
  DECLARE cur CURSOR FOR
    SELECT mt.metric_tool_uuid, mtv.metric_tool_version_uuid
      FROM metric.metric_tool mt
      JOIN metric.metric_tool_version mtv ON mtv.metric_tool_uuid = mt.metric_tool_uuid
      JOIN metric.metric_tool_language mtl ON mtl.metric_tool_uuid = mt.metric_tool_uuid
     WHERE mtl.package_type_id = package_type_id_in
       AND mtv.version_no = (SELECT MAX(version_no) FROM metric.metric_tool_version x
                              WHERE x.metric_tool_uuid = mt.metric_tool_uuid);
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = TRUE;

  SET return_string = '';
  SET v_platform = (SELECT default_platform_uuid FROM package_store.package_type WHERE package_type_id = package_type_id_in);
  SET v_platform_version = (SELECT MAX(platform_version_uuid) FROM platform_store.platform_version
                             WHERE platform_uuid = v_platform
                               AND version_no = (SELECT MAX(version_no) FROM platform_store.platform_version
                                                  WHERE platform_uuid = v_platform));
  IF v_platform_version IS NULL THEN SET return_string = 'ERROR: PLATFORM NOT FOUND'; END IF;
  SET v_owner = (SELECT package_owner_uuid FROM package_store.package WHERE package_uuid = package_uuid_in);

  OPEN cur;
  rd: LOOP
    FETCH cur INTO v_tool, v_tool_version;
    IF done THEN LEAVE rd; END IF;
    SET v_run = CONCAT('M-', UUID());
    INSERT INTO metric.metric_run (metric_run_uuid, package_uuid, package_version_uuid, tool_uuid, tool_version_uuid,
                                   platform_uuid, platform_version_uuid, package_owner_uuid, launch_counter)
    VALUES (v_run, package_uuid_in, package_version_uuid_in, v_tool, v_tool_version,
            v_platform, v_platform_version, v_owner, 1);
    SET cmd = CONCAT(assessment.backend_bin_dir(), '/execute_execution_record ', v_run);
    IF @swamp_log_cmds = 1 THEN
      INSERT INTO assessment.sys_exec_cmd_log (cmd, caller) VALUES (cmd, 'create_metric_run');
    END IF;
    SET rc = sys_exec(cmd);
    SET return_string = CONCAT(return_string, IF(rc = 0, 'SUCCESS', 'ERROR'));
  END LOOP;
  CLOSE cur;
END$$

CREATE OR REPLACE TRIGGER metric.metric_run_BINS BEFORE INSERT ON metric.metric_run
FOR EACH ROW SET NEW.create_user = USER(), NEW.create_date = NOW()$$
CREATE OR REPLACE TRIGGER metric.metric_run_BUPD BEFORE UPDATE ON metric.metric_run
FOR EACH ROW SET NEW.update_user = USER(), NEW.update_date = NOW()$$

-- Saves where the post-viewer hook stored the viewer's database bundle.
CREATE OR REPLACE PROCEDURE viewer_store.store_viewer (
    IN viewer_instance_uuid_in VARCHAR(45),
    IN viewer_db_path_in VARCHAR(200),
    IN viewer_db_checksum_in VARCHAR(200),
    IN platform_image_in VARCHAR(100),
    IN code_dx_version_in VARCHAR(100),
    OUT return_string VARCHAR(100)
  )
BEGIN
  IF (SELECT COUNT(*) FROM viewer_store.viewer_instance WHERE viewer_instance_uuid = viewer_instance_uuid_in) = 1 THEN
    UPDATE viewer_store.viewer_instance
       SET viewer_db_path = viewer_db_path_in, viewer_db_checksum = viewer_db_checksum_in,
           platform_image = platform_image_in, code_dx_version = code_dx_version_in
     WHERE viewer_instance_uuid = viewer_instance_uuid_in;
    SET return_string = 'SUCCESS';
  ELSE
    SET return_string = 'ERROR: Viewer Instance Not Found';
  END IF;
END$$

CREATE OR REPLACE PROCEDURE viewer_store.update_viewer_instance (
    IN viewer_instance_uuid_in VARCHAR(45),
    IN status_in VARCHAR(100),
    IN status_code_in INT,
    IN vm_ip_address_in VARCHAR(50),
    IN proxy_url_in VARCHAR(100),
    OUT return_string VARCHAR(100)
  )
BEGIN
  IF (SELECT COUNT(*) FROM viewer_store.viewer_instance WHERE viewer_instance_uuid = viewer_instance_uuid_in) = 1 THEN
    UPDATE viewer_store.viewer_instance
       SET status = status_in, status_code = status_code_in, vm_ip_address = vm_ip_address_in, proxy_url = proxy_url_in
     WHERE viewer_instance_uuid = viewer_instance_uuid_in;
    SET return_string = 'SUCCESS';
  ELSE
    SET return_string = 'ERROR: Record Not Found';
  END IF;
END$$

CREATE OR REPLACE TRIGGER viewer_store.viewer_instance_BINS BEFORE INSERT ON viewer_store.viewer_instance
FOR EACH ROW SET NEW.create_user = USER(), NEW.create_date = NOW()$$
CREATE OR REPLACE TRIGGER viewer_store.viewer_instance_BUPD BEFORE UPDATE ON viewer_store.viewer_instance
FOR EACH ROW SET NEW.update_user = USER(), NEW.update_date = NOW()$$
CREATE OR REPLACE TRIGGER viewer_store.viewer_launch_history_BINS BEFORE INSERT ON viewer_store.viewer_launch_history
FOR EACH ROW SET NEW.create_user = USER(), NEW.create_date = NOW()$$

DELIMITER ;
