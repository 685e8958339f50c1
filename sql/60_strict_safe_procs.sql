-- Strict-safe rewrites of the legacy SWAMP procedures OUTSIDE this backend that call
-- sys_exec/sys_eval with shell syntax or with bare program names (docs/udf-strict.md section 4).
-- In the UDF's strict mode (`mode = strict`) their legacy command strings are refused:
--   assessment.download_results   '[ -d D ] || mkdir -p D'     ([ and || are shell syntax)
--   assessment.download           'mkdir -p D', 'cp S D', 'chmod -R 777 D'      (relative names)
--   package_store.add_package_version, package_store.store_package_version
--                                 'cp -r S D', 'chmod -R 755 D', sys_eval('sha512sum F')
--   tool_shed.add_tool_version    'cp -r S D', 'rm -rf S', 'chmod -R 755 D', sys_eval('sha512sum F')
--   metric.insert_results         'mkdir -p D', 'cp S D', 'chmod 444 F'
-- (db:Data Server/Assessment/assessment_procs.sql, Package Store/package_store_procs.sql,
-- Tool Shed/tool_shed_procs.sql, Metric/metric_procs.sql; mirswamp/deployment lib/lib_mysqludf_sys.c.)
--
-- The rewrites keep the legacy parameters, checks, return strings and file layout, and change only
-- the command strings: absolute program paths (/usr/bin/..., the same on Debian/Ubuntu and on
-- RHEL/CentOS >= 7), every value quoted with assessment.sh_quote() (a ' inside a value can no
-- longer end the quoting: this also closes mirswamp/db Data Server/Assessment/assessment_procs.sql, mirswamp/services perl/agents/vmu_launchviewer.pl for these procedures in shell
-- mode), `--` before the operands (a value starting with - is not an option), and `mkdir -p`
-- instead of `[ -d D ] || mkdir -p D` (mkdir -p already succeeds on an existing directory). They
-- work unchanged in shell mode. A site turning strict mode on adds to the UDF config:
--   allow = /usr/bin/mkdir
--   allow = /usr/bin/cp
--   allow = /usr/bin/chmod
--   allow = /usr/bin/rm
--   allow = /usr/bin/sha512sum
-- (plus the backend's own programs) and installs these procedures under the same names.
--
-- In this fixture the procedures that the fixture does not model otherwise are created under their
-- legacy names. metric.insert_results is modelled without file copies in 40_metric_viewer_procs.sql
-- (the backend's tests call it); its rewrite is metric.insert_results_strict_safe here, to be
-- installed as metric.insert_results on a site.
--
-- Ours, for tests only: the session variable @swamp_files_root (unset = production) is put in front
-- of the fixed /swamp/... paths by assessment.swamp_path(), so a test can run the copies in a
-- temporary directory.

DELIMITER $$

-- A value as ONE shell word, for /bin/sh and for strict mode alike: 'it'\''s' (the POSIX idiom).
-- NULL stays NULL (as CONCAT would make the whole command NULL, the caller sees an error).
CREATE OR REPLACE FUNCTION assessment.sh_quote(s TEXT CHARACTER SET utf8mb4) RETURNS TEXT CHARACTER SET utf8mb4
  DETERMINISTIC NO SQL
BEGIN
  RETURN CONCAT(CHAR(39), REPLACE(s, CHAR(39), CONCAT(CHAR(39), CHAR(92), CHAR(39), CHAR(39))), CHAR(39));
END$$

-- An upload path as the web passes it: '<dir>/<file>', exactly two non-empty components, neither '.'
-- nor '..', no control character. Anything else would make the '<root>/<dir>' the commands copy and
-- remove something other than the upload: '' or 'x' (no '/') named the incoming root itself
-- ('rm -rf -- <root>/swamp/incoming/'), '../keep-me/x' its parent (the whole /swamp tree copied).
CREATE OR REPLACE FUNCTION assessment.upload_path_ok(p VARCHAR(1000) CHARACTER SET utf8mb4) RETURNS BOOL
  DETERMINISTIC NO SQL
BEGIN
  RETURN p IS NOT NULL
     AND p REGEXP '^[^/[:cntrl:]]+/[^/[:cntrl:]]+$'
     AND SUBSTRING_INDEX(p, '/', 1) NOT IN ('.', '..')
     AND SUBSTRING_INDEX(p, '/', -1) NOT IN ('.', '..');
END$$

-- A stored file named by a table value (result, archive or log path) that a command may copy: an
-- absolute path below <root>/swamp/, no '.' or '..' component, no control character, a file name
-- at the end (not '', '.', '..'). cp without -r refuses a directory on top of that.
CREATE OR REPLACE FUNCTION assessment.stored_file_ok(p VARCHAR(1000) CHARACTER SET utf8mb4) RETURNS BOOL
  NOT DETERMINISTIC NO SQL
BEGIN
  RETURN p IS NOT NULL
     AND LEFT(p, CHAR_LENGTH(assessment.swamp_path('/swamp/'))) = assessment.swamp_path('/swamp/')
     AND p NOT REGEXP '(^|/)\\.\\.?(/|$)'
     AND p NOT REGEXP '[[:cntrl:]]'
     AND p NOT REGEXP '//'
     AND SUBSTRING_INDEX(p, '/', -1) NOT IN ('', '.', '..');
END$$

-- '/swamp/...' (production) or '<@swamp_files_root>/swamp/...' (tests).
CREATE OR REPLACE FUNCTION assessment.swamp_path(p VARCHAR(500) CHARACTER SET utf8mb4) RETURNS VARCHAR(1000) CHARACTER SET utf8mb4
  NOT DETERMINISTIC NO SQL
BEGIN
  RETURN CONCAT(TRIM(TRAILING '/' FROM IFNULL(@swamp_files_root, '')), p);
END$$

-- ------------------------------------------------------------------ assessment.download
CREATE OR REPLACE PROCEDURE assessment.download (
    IN source_file_full_path_in VARCHAR(200),
    OUT return_url VARCHAR(200),
    OUT return_success_flag CHAR(1),
    OUT return_msg VARCHAR(100)
  )
BEGIN
  DECLARE destination_base_path VARCHAR(500);
  DECLARE return_url_base VARCHAR(100);
  DECLARE destination_parent_dir VARCHAR(45);
  DECLARE destination_filename VARCHAR(200);
  DECLARE destination_full_path VARCHAR(1000);
  DECLARE cmd VARCHAR(3000);
  DECLARE mkdir_return_code, copy_return_code, chmod_return_code INT;
  DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN END;

  SELECT system_setting_value INTO return_url_base FROM assessment.system_setting WHERE system_setting_code = 'OUTGOING_BASE_URL';
  SET destination_base_path = assessment.swamp_path('/swamp/outgoing/');
  SET destination_parent_dir = UUID();
  SET destination_filename = SUBSTRING_INDEX(source_file_full_path_in, '/', -1);
  SET destination_full_path = CONCAT(destination_base_path, destination_parent_dir, '/', destination_filename);
  SET return_url = CONCAT(return_url_base, destination_parent_dir, '/', destination_filename);

  IF NOT assessment.stored_file_ok(source_file_full_path_in) THEN
    SET return_url = NULL;
  ELSE
    SET cmd = CONCAT('/usr/bin/mkdir -p -- ', assessment.sh_quote(CONCAT(destination_base_path, destination_parent_dir)));
    SET mkdir_return_code = sys_exec(cmd);
    SET cmd = CONCAT('/usr/bin/cp -- ', assessment.sh_quote(source_file_full_path_in), ' ', assessment.sh_quote(destination_full_path));
    SET copy_return_code = sys_exec(cmd);
    SET cmd = CONCAT('/usr/bin/chmod -R 777 -- ', assessment.sh_quote(CONCAT(destination_base_path, destination_parent_dir)));
    SET chmod_return_code = sys_exec(cmd);
  END IF;

  IF NOT assessment.stored_file_ok(source_file_full_path_in) THEN SET return_success_flag = 'N', return_msg = 'ERROR: INVALID FILE PATH';
  ELSEIF IFNULL(mkdir_return_code, 1) != 0 THEN SET return_success_flag = 'N', return_msg = 'ERROR MKDIR';
  ELSEIF IFNULL(copy_return_code, 1) != 0 THEN SET return_success_flag = 'N', return_msg = 'ERROR COPYING FILE';
  ELSEIF IFNULL(chmod_return_code, 1) != 0 THEN SET return_success_flag = 'N', return_msg = 'ERROR SETTING PERMISSIONS';
  ELSE SET return_success_flag = 'Y', return_msg = 'SUCCESS';
  END IF;
END$$

-- ------------------------------------------------------------------ assessment.download_results
-- The results download procedure the web calls; the legacy one starts with
-- '[ -d D ] || mkdir -p D', which strict mode refuses ('[' and '|').
CREATE OR REPLACE PROCEDURE assessment.download_results (
    IN assessment_result_uuid_in VARCHAR(5000),
    IN user_uuid_in VARCHAR(45),
    IN return_type VARCHAR(10),
    OUT return_url VARCHAR(200),
    OUT return_file VARCHAR(200),
    OUT return_string VARCHAR(100)
  )
  COMMENT 'Given an assessment_result_uuid and a user_uuid, copy asssessment results to a download folder and return its full filepath and download URL. Assessemnt results type can be one of "scarf", "source", or "log". (strict-safe rewrite)'
BEGIN
  DECLARE project_uuid_in VARCHAR(45);
  DECLARE user_account_valid_flag, project_user_valid_flag CHAR(1);
  DECLARE row_count_project_int, row_count_result_int INT;
  DECLARE result_file_full_source_path VARCHAR(200);
  DECLARE return_url_base VARCHAR(100);
  DECLARE destination_base_path VARCHAR(500);
  DECLARE destination_parent_dir VARCHAR(45);
  DECLARE destination_filename VARCHAR(200);
  DECLARE destination_full_path VARCHAR(1000);
  DECLARE cmd VARCHAR(3000);
  DECLARE mkdir_return_code, copy_return_code, chmod_return_code INT;
  DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN END;

  SELECT project_uuid INTO project_uuid_in FROM assessment.assessment_result WHERE assessment_result_uuid = assessment_result_uuid_in;
  SELECT DISTINCT 'Y' INTO user_account_valid_flag FROM project.user_account ua WHERE ua.user_uid = user_uuid_in AND ua.enabled_flag = 1;
  SELECT DISTINCT 'Y' INTO project_user_valid_flag FROM project.project_user pu
   WHERE pu.project_uid = project_uuid_in AND pu.user_uid = user_uuid_in AND pu.delete_date IS NULL
     AND (pu.expire_date > NOW() OR pu.expire_date IS NULL);
  SELECT COUNT(1) INTO row_count_project_int FROM project.project WHERE project_uid = project_uuid_in;

  IF project_user_valid_flag = 'Y' AND user_account_valid_flag = 'Y' AND row_count_project_int = 1 THEN
    SELECT COUNT(1) INTO row_count_result_int FROM assessment.assessment_result WHERE assessment_result_uuid = assessment_result_uuid_in;
    IF row_count_result_int = 1 THEN
      IF return_type = 'source' THEN
        SELECT source_archive_path INTO result_file_full_source_path FROM assessment.assessment_result WHERE assessment_result_uuid = assessment_result_uuid_in;
      ELSEIF return_type = 'log' THEN
        SELECT log_path INTO result_file_full_source_path FROM assessment.assessment_result WHERE assessment_result_uuid = assessment_result_uuid_in;
      ELSE
        SELECT file_path INTO result_file_full_source_path FROM assessment.assessment_result WHERE assessment_result_uuid = assessment_result_uuid_in;
      END IF;
      SET destination_base_path = assessment.swamp_path('/swamp/outgoing/');
      SET destination_parent_dir = UUID();
      SET destination_filename = SUBSTRING_INDEX(result_file_full_source_path, '/', -1);
      SET destination_full_path = CONCAT(destination_base_path, destination_parent_dir, '/', destination_filename);

      IF assessment.stored_file_ok(result_file_full_source_path) THEN
        -- legacy: CONCAT('[ -d ', D, ' ] || mkdir -p ', D)
        SET cmd = CONCAT('/usr/bin/mkdir -p -- ', assessment.sh_quote(CONCAT(destination_base_path, destination_parent_dir)));
        SET mkdir_return_code = sys_exec(cmd);
        SET cmd = CONCAT('/usr/bin/cp -n -- ', assessment.sh_quote(result_file_full_source_path), ' ', assessment.sh_quote(destination_full_path));
        SET copy_return_code = sys_exec(cmd);
        SET cmd = CONCAT('/usr/bin/chmod -R 777 -- ', assessment.sh_quote(CONCAT(destination_base_path, destination_parent_dir)));
        SET chmod_return_code = sys_exec(cmd);
      END IF;

      IF NOT assessment.stored_file_ok(result_file_full_source_path) THEN SET return_string = 'ERROR: INVALID FILE PATH';
      ELSEIF IFNULL(mkdir_return_code, 1) != 0 THEN SET return_string = 'ERROR: MKDIR FAILED';
      ELSEIF IFNULL(copy_return_code, 1) != 0 THEN SET return_string = 'ERROR: COPY FILE FAILED';
      ELSEIF IFNULL(chmod_return_code, 1) != 0 THEN SET return_string = 'ERROR: SET PERMISSIONS FAILED';
      ELSE SET return_string = 'SUCCESS';
      END IF;
    ELSE SET return_string = 'ERROR: RESULT NOT FOUND';
    END IF;
  ELSEIF row_count_project_int != 1 THEN SET return_string = 'ERROR: PROJECT NOT FOUND';
  ELSEIF IFNULL(user_account_valid_flag, 'N') != 'Y' THEN SET return_string = 'ERROR: USER ACCOUNT NOT VALID';
  ELSEIF IFNULL(project_user_valid_flag, 'N') != 'Y' THEN SET return_string = 'ERROR: USER PROJECT PERMISSION NOT VALID';
  ELSE SET return_string = 'ERROR: UNSPECIFIED ERROR';
  END IF;

  IF return_string = 'SUCCESS' THEN
    SELECT system_setting_value INTO return_url_base FROM assessment.system_setting WHERE system_setting_code = 'OUTGOING_BASE_URL';
    SET return_url = CONCAT(return_url_base, destination_parent_dir, '/', destination_filename);
    SET return_file = destination_full_path;
  END IF;
END$$

-- ------------------------------------------------------------------ package_store
-- Shared body of add_package_version / store_package_version: copy the upload directory into the
-- store, chmod it, checksum the file. OUT: the three return codes and the checksum (NULL on error).
CREATE OR REPLACE PROCEDURE package_store.strict_safe_store_upload (
    IN incoming_dir VARCHAR(1000), IN dest_dir VARCHAR(1000), IN dest_full_path VARCHAR(1000),
    IN remove_incoming BOOL,
    OUT file_move_return_code INT, OUT chmod_return_code INT, OUT cksum VARCHAR(200)
  )
BEGIN
  DECLARE cmd1 VARCHAR(3000);
  DECLARE rm_return_code INT;
  DECLARE v_line TEXT;
  SET cmd1 = CONCAT('/usr/bin/cp -r -- ', assessment.sh_quote(incoming_dir), ' ', assessment.sh_quote(dest_dir));
  SET file_move_return_code = IFNULL(sys_exec(cmd1), 1);
  -- legacy tool_shed.add_tool_version: remove the upload; failure is not fatal. The callers checked the
  -- upload path (assessment.upload_path_ok): incoming_dir is one directory below <root>/swamp/incoming/.
  IF remove_incoming AND incoming_dir LIKE CONCAT(assessment.swamp_path('/swamp/incoming/'), '_%')
     AND SUBSTR(incoming_dir, CHAR_LENGTH(assessment.swamp_path('/swamp/incoming/')) + 1) NOT IN ('.', '..')
     AND INSTR(SUBSTR(incoming_dir, CHAR_LENGTH(assessment.swamp_path('/swamp/incoming/')) + 1), '/') = 0 THEN
    SET cmd1 = CONCAT('/usr/bin/rm -rf -- ', assessment.sh_quote(incoming_dir));
    SET rm_return_code = sys_exec(cmd1);
  END IF;
  SET cmd1 = CONCAT('/usr/bin/chmod -R 755 -- ', assessment.sh_quote(dest_dir));
  SET chmod_return_code = IFNULL(sys_exec(cmd1), 1);
  -- 'sha512sum F' prints '<hash>  F' (a leading \ when F needs escaping): keep the hash
  -- (the whole line can exceed VARCHAR(200): cut it in a TEXT first; legacy relied on silent truncation)
  SET v_line = sys_eval(CONCAT('/usr/bin/sha512sum -- ', assessment.sh_quote(dest_full_path)));
  SET cksum = TRIM(LEADING '\\' FROM SUBSTR(v_line, 1, INSTR(v_line, ' ') - 1));
  IF cksum = '' THEN SET cksum = NULL; END IF;
END$$

CREATE OR REPLACE PROCEDURE package_store.add_package_version (
    IN package_version_uuid_in VARCHAR(45),
    IN package_path_in VARCHAR(200),
    OUT return_status VARCHAR(12),
    OUT return_msg VARCHAR(100)
  )
BEGIN
  DECLARE dir_name_only, incoming_dir, dest_dir, dest_full_path VARCHAR(1000);
  DECLARE file_move_return_code, chmod_return_code, test_count INT;
  DECLARE cksum VARCHAR(200);
  SET dir_name_only = SUBSTR(package_path_in, 1, INSTR(package_path_in, '/') - 1);
  SET incoming_dir = CONCAT(assessment.swamp_path('/swamp/incoming/'), dir_name_only);
  SET dest_dir = CONCAT(assessment.swamp_path('/swamp/store/SCAPackages/'), dir_name_only);
  SET dest_full_path = CONCAT(assessment.swamp_path('/swamp/store/SCAPackages/'), package_path_in);
  SELECT COUNT(1) INTO test_count FROM package_store.package_version WHERE package_version_uuid = package_version_uuid_in;
  IF test_count = 1 AND assessment.upload_path_ok(package_path_in) THEN
    CALL package_store.strict_safe_store_upload(incoming_dir, dest_dir, dest_full_path, FALSE, file_move_return_code, chmod_return_code, cksum);
  END IF;
  IF test_count != 1 THEN SET return_status = 'ERROR', return_msg = 'Package version not found';
  ELSEIF NOT assessment.upload_path_ok(package_path_in) THEN SET return_status = 'ERROR', return_msg = 'Invalid package path';
  ELSEIF file_move_return_code != 0 THEN SET return_status = 'ERROR', return_msg = 'Error moving package to storage';
  ELSEIF chmod_return_code != 0 THEN SET return_status = 'ERROR', return_msg = 'Error setting package permissions';
  ELSEIF cksum IS NULL THEN SET return_status = 'ERROR', return_msg = 'Error calculating checksum';
  ELSE
    UPDATE package_store.package_version SET package_path = dest_full_path, checksum = cksum WHERE package_version_uuid = package_version_uuid_in;
    SET return_status = 'SUCCESS', return_msg = 'Package sucessfully moved to storage';
  END IF;
END$$

CREATE OR REPLACE PROCEDURE package_store.store_package_version (
    IN package_uuid_in VARCHAR(45),
    IN package_path_in VARCHAR(200),
    OUT package_path_out VARCHAR(200),
    OUT cksum_out VARCHAR(200),
    OUT return_status VARCHAR(12),
    OUT return_msg VARCHAR(100)
  )
BEGIN
  DECLARE dir_name_only, incoming_dir, dest_dir, dest_full_path VARCHAR(1000);
  DECLARE file_move_return_code, chmod_return_code, test_count INT;
  DECLARE cksum VARCHAR(200);
  DECLARE user_ok CHAR(1);
  DECLARE CONTINUE HANDLER FOR NOT FOUND BEGIN END;
  SELECT 'Y' INTO user_ok FROM project.user_account ua
   INNER JOIN package_store.package p ON p.package_owner_uuid = ua.user_uid
   WHERE p.package_uuid = package_uuid_in AND ua.enabled_flag = 1;
  SELECT COUNT(1) INTO test_count FROM package_store.package WHERE package_uuid = package_uuid_in;
  IF user_ok = 'Y' AND test_count = 1 AND assessment.upload_path_ok(package_path_in) THEN
    SET dir_name_only = SUBSTR(package_path_in, 1, INSTR(package_path_in, '/') - 1);
    SET incoming_dir = CONCAT(assessment.swamp_path('/swamp/incoming/'), dir_name_only);
    SET dest_dir = CONCAT(assessment.swamp_path('/swamp/store/SCAPackages/'), dir_name_only);
    SET dest_full_path = CONCAT(assessment.swamp_path('/swamp/store/SCAPackages/'), package_path_in);
    CALL package_store.strict_safe_store_upload(incoming_dir, dest_dir, dest_full_path, FALSE, file_move_return_code, chmod_return_code, cksum);
  END IF;
  IF test_count != 1 THEN SET return_status = 'ERROR', return_msg = 'Package record not found';
  ELSEIF IFNULL(user_ok, 'N') != 'Y' THEN SET return_status = 'ERROR', return_msg = 'Invalid Package Owner Account';
  ELSEIF NOT assessment.upload_path_ok(package_path_in) THEN SET return_status = 'ERROR', return_msg = 'Invalid package path';
  ELSEIF file_move_return_code != 0 THEN SET return_status = 'ERROR', return_msg = 'Error moving package to storage';
  ELSEIF chmod_return_code != 0 THEN SET return_status = 'ERROR', return_msg = 'Error setting package permissions';
  ELSEIF cksum IS NULL THEN SET return_status = 'ERROR', return_msg = 'Error calculating checksum';
  ELSE
    SET package_path_out = dest_full_path, cksum_out = cksum, return_status = 'SUCCESS',
        return_msg = 'Package sucessfully moved to storage';
  END IF;
END$$

-- ------------------------------------------------------------------ tool_shed
CREATE OR REPLACE PROCEDURE tool_shed.add_tool_version (
    IN tool_version_uuid_in VARCHAR(45),
    IN tool_path_in VARCHAR(200),
    OUT return_status VARCHAR(12),
    OUT return_msg VARCHAR(100)
  )
BEGIN
  DECLARE dir_name_only, incoming_dir, dest_dir, dest_full_path VARCHAR(1000);
  DECLARE file_move_return_code, chmod_return_code, test_count INT;
  DECLARE cksum VARCHAR(200);
  SET dir_name_only = SUBSTR(tool_path_in, 1, INSTR(tool_path_in, '/') - 1);
  SET incoming_dir = CONCAT(assessment.swamp_path('/swamp/incoming/'), dir_name_only);
  SET dest_dir = CONCAT(assessment.swamp_path('/swamp/store/SCATools/'), dir_name_only);
  SET dest_full_path = CONCAT(assessment.swamp_path('/swamp/store/SCATools/'), tool_path_in);
  SELECT COUNT(1) INTO test_count FROM tool_shed.tool_version WHERE tool_version_uuid = tool_version_uuid_in;
  IF test_count = 1 AND assessment.upload_path_ok(tool_path_in) THEN
    CALL package_store.strict_safe_store_upload(incoming_dir, dest_dir, dest_full_path, TRUE, file_move_return_code, chmod_return_code, cksum);
  END IF;
  IF test_count != 1 THEN SET return_status = 'ERROR', return_msg = 'Tool version not found';
  ELSEIF NOT assessment.upload_path_ok(tool_path_in) THEN SET return_status = 'ERROR', return_msg = 'Invalid tool path';
  ELSEIF file_move_return_code != 0 THEN SET return_status = 'ERROR', return_msg = 'Error moving tool to storage';
  ELSEIF chmod_return_code != 0 THEN SET return_status = 'ERROR', return_msg = 'Error setting tool permissions';
  ELSEIF cksum IS NULL THEN SET return_status = 'ERROR', return_msg = 'Error calculating checksum';
  ELSE
    UPDATE tool_shed.tool_version SET tool_path = dest_full_path, checksum = cksum WHERE tool_version_uuid = tool_version_uuid_in;
    SET return_status = 'SUCCESS', return_msg = 'Tool sucessfully moved to storage';
  END IF;
END$$

-- ------------------------------------------------------------------ metric.insert_results (site version)
-- The legacy metric.insert_results with strict-safe commands. Install as metric.insert_results on a
-- site; in this fixture metric.insert_results stays the copy-free model of 40_metric_viewer_procs.sql.
CREATE OR REPLACE PROCEDURE metric.insert_results_strict_safe (
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
  DECLARE row_count_int INT;
  DECLARE result_filename VARCHAR(200);
  DECLARE result_dest_path VARCHAR(1000);
  DECLARE cmd VARCHAR(3000);
  DECLARE result_mkdir_return_code, result_mv_return_code, result_chmod_return_code INT;
  SET return_string = 'ERROR';
  SELECT COUNT(1) INTO row_count_int FROM metric.metric_run WHERE metric_run_uuid = metric_run_uuid_in;
  IF row_count_int = 1 AND (result_path_in IS NULL OR result_path_in NOT REGEXP '^/' OR result_path_in REGEXP '(^|/)\\.\\.?(/|$)'
                           OR result_path_in REGEXP '[[:cntrl:]]' OR SUBSTRING_INDEX(result_path_in, '/', -1) IN ('', '.', '..')) THEN
    SET return_string = 'ERROR INVALID RESULT PATH';
  ELSEIF row_count_int = 1 THEN
    SET result_filename = SUBSTRING_INDEX(result_path_in, '/', -1);
    SET result_dest_path = CONCAT(assessment.swamp_path('/swamp/store/SCAPackages/Metrics/'), metric_run_uuid_in, '/');
    SET cmd = CONCAT('/usr/bin/mkdir -p -- ', assessment.sh_quote(result_dest_path));
    SET result_mkdir_return_code = IFNULL(sys_exec(cmd), 1);
    SET cmd = CONCAT('/usr/bin/cp -- ', assessment.sh_quote(result_path_in), ' ', assessment.sh_quote(CONCAT(result_dest_path, result_filename)));
    SET result_mv_return_code = IFNULL(sys_exec(cmd), 1);
    SET cmd = CONCAT('/usr/bin/chmod 444 -- ', assessment.sh_quote(CONCAT(result_dest_path, result_filename)));
    SET result_chmod_return_code = IFNULL(sys_exec(cmd), 1);
    IF result_mkdir_return_code != 0 THEN SET return_string = 'ERROR MKDIR RESULT FILE';
    ELSEIF result_mv_return_code != 0 THEN SET return_string = 'ERROR MOVING RESULT FILE';
    ELSEIF result_chmod_return_code != 0 THEN SET return_string = 'ERROR CHMOD RESULT FILE';
    ELSE
      UPDATE metric.metric_run
         SET file_host = 'SWAMP', result_path = CONCAT(result_dest_path, result_filename), result_checksum = result_checksum_in,
             status_out = status_out_in, status_out_error_msg = status_out_error_msg_in
       WHERE metric_run_uuid = metric_run_uuid_in;
      SET return_string = 'SUCCESS';
    END IF;
  ELSE
    SET return_string = 'ERROR: Record Not Found';
  END IF;
END$$

DELIMITER ;
