-- swamp-backend schema fixture: the databases, tables and columns of SWAMP's data server that the
-- backend (and the calling procedures) read or write, modelled on the legacy sources: mirswamp/db
-- Data Server/Assessment/assessment_procs.sql, mirswamp/services perl/agents/vmu_LaunchPad.pl
-- (_computeBOG) and the job hooks beside it. Not SWAMP's schema: only what the backend touches.
-- Idempotent: CREATE ... IF NOT EXISTS. A changed column needs `db.sh reset` (drops these databases).

CREATE DATABASE IF NOT EXISTS project        CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS package_store  CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS tool_shed      CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS platform_store CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS assessment     CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS metric         CHARACTER SET utf8mb4;
CREATE DATABASE IF NOT EXISTS viewer_store   CHARACTER SET utf8mb4;

-- ------------------------------------------------------------------ project (validation inputs)
CREATE TABLE IF NOT EXISTS project.user_account (
  user_uid      VARCHAR(45) NOT NULL PRIMARY KEY,
  enabled_flag  TINYINT(1)  NOT NULL DEFAULT 1,
  user_type     VARCHAR(25) NULL
);
CREATE TABLE IF NOT EXISTS project.project (
  project_uid       VARCHAR(45)  NOT NULL PRIMARY KEY,
  full_name         VARCHAR(100) NULL,
  denial_date       DATETIME     NULL,
  deactivation_date DATETIME     NULL
);
CREATE TABLE IF NOT EXISTS project.project_user (
  project_uid  VARCHAR(45) NOT NULL,
  user_uid     VARCHAR(45) NOT NULL,
  delete_date  DATETIME    NULL,
  expire_date  DATETIME    NULL,
  PRIMARY KEY (project_uid, user_uid)
);
CREATE TABLE IF NOT EXISTS project.user_policy (
  user_uid     VARCHAR(45)  NOT NULL,
  policy_code  VARCHAR(100) NOT NULL,
  accept_flag  TINYINT(1)   NOT NULL DEFAULT 1,
  PRIMARY KEY (user_uid, policy_code)
);
CREATE TABLE IF NOT EXISTS project.permission (
  permission_code VARCHAR(100) NOT NULL PRIMARY KEY,
  policy_code     VARCHAR(100) NULL
);
CREATE TABLE IF NOT EXISTS project.user_permission (
  user_uid         VARCHAR(45)  NOT NULL,
  permission_code  VARCHAR(100) NOT NULL,
  meta_information TEXT         NULL,
  grant_date       DATETIME     NULL,
  delete_date      DATETIME     NULL,
  expiration_date  DATETIME     NULL,
  PRIMARY KEY (user_uid, permission_code)
);

-- ------------------------------------------------------------------ package_store
CREATE TABLE IF NOT EXISTS package_store.package_type (
  package_type_id               INT          NOT NULL PRIMARY KEY,
  name                          VARCHAR(100) NOT NULL,
  default_platform_uuid         VARCHAR(45)  NULL,
  default_platform_version_uuid VARCHAR(45)  NULL
);
CREATE TABLE IF NOT EXISTS package_store.package (
  package_uuid       VARCHAR(45)  NOT NULL PRIMARY KEY,
  name               VARCHAR(100) NOT NULL,
  package_type_id    INT          NULL,
  package_language   VARCHAR(100) NULL,
  package_owner_uuid VARCHAR(45)  NULL
);
CREATE TABLE IF NOT EXISTS package_store.package_version (
  package_version_uuid    VARCHAR(45)   NOT NULL PRIMARY KEY,
  package_uuid            VARCHAR(45)   NOT NULL,
  version_string          VARCHAR(100)  NULL,
  version_sharing_status  VARCHAR(25)   NOT NULL DEFAULT 'PUBLIC',
  package_path            VARCHAR(200)  NULL,
  checksum                VARCHAR(200)  NULL,
  source_path             VARCHAR(200)  NULL,
  build_file              VARCHAR(200)  NULL,
  build_system            VARCHAR(200)  NULL,
  build_cmd               TEXT          NULL,
  build_target            VARCHAR(200)  NULL,
  build_dir               VARCHAR(200)  NULL,
  build_opt               VARCHAR(200)  NULL,
  config_cmd              VARCHAR(200)  NULL,
  config_opt              VARCHAR(200)  NULL,
  config_dir              VARCHAR(200)  NULL,
  bytecode_class_path     TEXT          NULL,
  bytecode_aux_class_path TEXT          NULL,
  bytecode_source_path    TEXT          NULL,
  android_sdk_target      VARCHAR(255)  NULL,
  android_lint_target     VARCHAR(255)  NULL,
  android_redo_build      TINYINT(1)    NULL,
  use_gradle_wrapper      TINYINT(1)    NULL,
  language_version        VARCHAR(255)  NULL,
  maven_version           VARCHAR(255)  NULL,
  android_maven_plugin    VARCHAR(255)  NULL,
  exclude_paths           TEXT          NULL,
  package_build_settings  TEXT          NULL,
  package_info            TEXT          NULL,
  create_date             DATETIME      NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS package_store.package_version_sharing (
  package_version_uuid VARCHAR(45) NOT NULL,
  project_uuid         VARCHAR(45) NOT NULL,
  PRIMARY KEY (package_version_uuid, project_uuid)
);
CREATE TABLE IF NOT EXISTS package_store.package_version_dependency (
  package_version_uuid  VARCHAR(45)   NOT NULL,
  platform_version_uuid VARCHAR(45)   NOT NULL,
  dependency_list       TEXT          NULL,
  PRIMARY KEY (package_version_uuid, platform_version_uuid)
);

-- ------------------------------------------------------------------ tool_shed
CREATE TABLE IF NOT EXISTS tool_shed.tool (
  tool_uuid           VARCHAR(45)  NOT NULL PRIMARY KEY,
  name                VARCHAR(100) NOT NULL,
  tool_sharing_status VARCHAR(25)  NOT NULL DEFAULT 'PUBLIC',
  policy_code         VARCHAR(100) NULL
);
CREATE TABLE IF NOT EXISTS tool_shed.tool_version (
  tool_version_uuid VARCHAR(45)  NOT NULL PRIMARY KEY,
  tool_uuid         VARCHAR(45)  NOT NULL,
  version_string    VARCHAR(100) NULL,
  tool_path         VARCHAR(200) NULL,
  checksum          VARCHAR(200) NULL
);
CREATE TABLE IF NOT EXISTS tool_shed.tool_sharing (
  tool_uuid    VARCHAR(45) NOT NULL,
  project_uuid VARCHAR(45) NOT NULL,
  PRIMARY KEY (tool_uuid, project_uuid)
);

-- ------------------------------------------------------------------ platform_store
CREATE TABLE IF NOT EXISTS platform_store.platform (
  platform_uuid           VARCHAR(45)  NOT NULL PRIMARY KEY,
  name                    VARCHAR(100) NOT NULL,
  platform_sharing_status VARCHAR(25)  NOT NULL DEFAULT 'PUBLIC'
);
CREATE TABLE IF NOT EXISTS platform_store.platform_version (
  platform_version_uuid VARCHAR(45)  NOT NULL PRIMARY KEY,
  platform_uuid         VARCHAR(45)  NOT NULL,
  version_string        VARCHAR(100) NULL,
  version_no            INT          NOT NULL DEFAULT 1,
  platform_path         VARCHAR(200) NULL,
  platform_identifier   VARCHAR(100) NULL
);
CREATE TABLE IF NOT EXISTS platform_store.platform_sharing (
  platform_uuid VARCHAR(45) NOT NULL,
  project_uuid  VARCHAR(45) NOT NULL,
  PRIMARY KEY (platform_uuid, project_uuid)
);

-- ------------------------------------------------------------------ assessment
CREATE TABLE IF NOT EXISTS assessment.execution_record (
  execution_record_uuid        VARCHAR(45)  NOT NULL PRIMARY KEY,
  assessment_run_uuid          VARCHAR(45)  NULL,
  run_request_uuid             VARCHAR(45)  NULL,
  user_uuid                    VARCHAR(45)  NULL,
  project_uuid                 VARCHAR(45)  NULL,
  platform_version_uuid        VARCHAR(45)  NULL,
  tool_version_uuid            VARCHAR(45)  NULL,
  package_version_uuid         VARCHAR(45)  NULL,
  notify_when_complete_flag    TINYINT(1)   NOT NULL DEFAULT 0,
  status                       VARCHAR(100) NOT NULL DEFAULT 'WAITING TO START',
  run_date                     DATETIME     NULL,
  completion_date              DATETIME     NULL,
  queued_duration              VARCHAR(12)  NULL,
  execution_duration           VARCHAR(12)  NULL,
  execute_node_architecture_id VARCHAR(128) NULL,
  vm_hostname                  VARCHAR(100) NULL,
  vm_username                  VARCHAR(50)  NULL,
  vm_password                  VARCHAR(50)  NULL,
  vm_ip_address                VARCHAR(50)  NULL,
  vm_image                     VARCHAR(100) NULL,
  tool_filename                VARCHAR(100) NULL,
  code_lines                   INT          NULL,
  total_lines                  INT          NULL,
  cpu_utilization              VARCHAR(32)  NULL,
  slot_size_start              VARCHAR(128) NULL,
  slot_size_end                VARCHAR(128) NULL,
  launch_flag                  TINYINT(1)   NOT NULL DEFAULT 1,
  launch_counter               INT          NOT NULL DEFAULT 0,
  launch_countdown             INT          NOT NULL DEFAULT 0,
  submitted_to_condor_flag     TINYINT(1)   NOT NULL DEFAULT 0,
  complete_flag                TINYINT(1)   NOT NULL DEFAULT 0,
  create_user                  VARCHAR(50)  NULL,
  create_date                  DATETIME     NULL,
  update_user                  VARCHAR(50)  NULL,
  update_date                  DATETIME     NULL,
  delete_date                  DATETIME     NULL,
  KEY execution_record_launch (launch_flag)
);
CREATE TABLE IF NOT EXISTS assessment.assessment_result (
  assessment_result_uuid       VARCHAR(45)   NOT NULL PRIMARY KEY,
  execution_record_uuid        VARCHAR(45)   NULL,
  project_uuid                 VARCHAR(45)   NULL,
  weakness_cnt                 INT           NULL,
  file_host                    VARCHAR(100)  NULL,
  file_path                    VARCHAR(200)  NULL,
  checksum                     VARCHAR(200)  NULL,
  source_archive_path          VARCHAR(200)  NULL,
  source_archive_checksum      VARCHAR(200)  NULL,
  log_path                     VARCHAR(200)  NULL,
  log_checksum                 VARCHAR(200)  NULL,
  status_out                   TEXT          NULL,
  status_out_error_msg         VARCHAR(200)  NULL,
  platform_name                VARCHAR(100)  NULL,
  platform_version             VARCHAR(100)  NULL,
  tool_name                    VARCHAR(100)  NULL,
  tool_version                 VARCHAR(100)  NULL,
  package_name                 VARCHAR(100)  NULL,
  package_version              VARCHAR(100)  NULL,
  platform_version_uuid        VARCHAR(45)   NULL,
  tool_version_uuid            VARCHAR(45)   NULL,
  tool_uuid                    VARCHAR(45)   NULL,
  package_version_uuid         VARCHAR(45)   NULL,
  policy_code                  VARCHAR(100)  NULL,
  run_date                     DATETIME      NULL,
  execute_node_architecture_id VARCHAR(128)  NULL,
  vm_hostname                  VARCHAR(100)  NULL,
  vm_ip_address                VARCHAR(50)   NULL,
  create_user                  VARCHAR(50)   NULL,
  create_date                  DATETIME      NULL,
  update_user                  VARCHAR(50)   NULL,
  update_date                  DATETIME      NULL,
  KEY assessment_result_er (execution_record_uuid)
);
CREATE TABLE IF NOT EXISTS assessment.sys_exec_cmd_log (
  sys_exec_cmd_log_id INT           NOT NULL AUTO_INCREMENT PRIMARY KEY,
  cmd                 VARCHAR(5000) NULL,
  caller              VARCHAR(100)  NULL,
  create_user         VARCHAR(50)   NULL,
  create_date         DATETIME      NULL,
  update_user         VARCHAR(50)   NULL,
  update_date         DATETIME      NULL
);
CREATE TABLE IF NOT EXISTS assessment.system_status (
  status_key  VARCHAR(100) NOT NULL PRIMARY KEY,
  value       VARCHAR(200) NULL,
  update_date TIMESTAMP    NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS assessment.system_setting (
  system_setting_code  VARCHAR(25)  NOT NULL PRIMARY KEY,
  system_setting_value VARCHAR(200) NULL
);
-- Ours, not SWAMP's: where the calling procedures find the backend's programs (see
-- assessment.backend_bin_dir()). Row BIN_DIR; absent -> '/usr/local/bin' as in production.
CREATE TABLE IF NOT EXISTS assessment.backend_setting (
  setting_code  VARCHAR(45)  NOT NULL PRIMARY KEY,
  setting_value VARCHAR(500) NULL
);

-- ------------------------------------------------------------------ metric
CREATE TABLE IF NOT EXISTS metric.metric_tool (
  metric_tool_uuid VARCHAR(45)  NOT NULL PRIMARY KEY,
  name             VARCHAR(100) NOT NULL
);
CREATE TABLE IF NOT EXISTS metric.metric_tool_version (
  metric_tool_version_uuid VARCHAR(45)  NOT NULL PRIMARY KEY,
  metric_tool_uuid         VARCHAR(45)  NOT NULL,
  version_no               INT          NOT NULL DEFAULT 1,
  version_string           VARCHAR(100) NULL,
  tool_path                VARCHAR(200) NULL,
  checksum                 VARCHAR(200) NULL
);
CREATE TABLE IF NOT EXISTS metric.metric_tool_language (
  metric_tool_uuid VARCHAR(45) NOT NULL,
  package_type_id  INT         NOT NULL,
  PRIMARY KEY (metric_tool_uuid, package_type_id)
);
CREATE TABLE IF NOT EXISTS metric.metric_run (
  metric_run_uuid              VARCHAR(45)   NOT NULL PRIMARY KEY,
  package_uuid                 VARCHAR(45)   NULL,
  package_version_uuid         VARCHAR(45)   NULL,
  tool_uuid                    VARCHAR(45)   NULL,
  tool_version_uuid            VARCHAR(45)   NULL,
  platform_uuid                VARCHAR(45)   NULL,
  platform_version_uuid        VARCHAR(45)   NULL,
  package_owner_uuid           VARCHAR(45)   NULL,
  status                       VARCHAR(100)  NOT NULL DEFAULT 'WAITING TO START',
  run_date                     DATETIME      NULL,
  completion_date              DATETIME      NULL,
  queued_duration              VARCHAR(12)   NULL,
  execution_duration           VARCHAR(12)   NULL,
  execute_node_architecture_id VARCHAR(128)  NULL,
  vm_hostname                  VARCHAR(100)  NULL,
  vm_username                  VARCHAR(50)   NULL,
  vm_password                  VARCHAR(50)   NULL,
  vm_ip_address                VARCHAR(50)   NULL,
  vm_image                     VARCHAR(100)  NULL,
  tool_filename                VARCHAR(100)  NULL,
  code_lines                   INT           NULL,
  total_lines                  INT           NULL,
  cpu_utilization              VARCHAR(32)   NULL,
  slot_size_start              VARCHAR(128)  NULL,
  slot_size_end                VARCHAR(128)  NULL,
  launch_flag                  TINYINT(1)    NOT NULL DEFAULT 1,
  launch_counter               INT           NOT NULL DEFAULT 0,
  submitted_to_condor_flag     TINYINT(1)    NOT NULL DEFAULT 0,
  complete_flag                TINYINT(1)    NOT NULL DEFAULT 0,
  file_host                    VARCHAR(100)  NULL,
  result_path                  VARCHAR(200)  NULL,
  result_checksum              VARCHAR(200)  NULL,
  status_out                   TEXT          NULL,
  status_out_error_msg         VARCHAR(200)  NULL,
  pkg_code_lines               INT           NULL,
  pkg_comment_lines            INT           NULL,
  pkg_blank_lines              INT           NULL,
  pkg_total_lines              INT           NULL,
  create_user                  VARCHAR(50)   NULL,
  create_date                  DATETIME      NULL,
  update_user                  VARCHAR(50)   NULL,
  update_date                  DATETIME      NULL
);

-- ------------------------------------------------------------------ viewer_store
CREATE TABLE IF NOT EXISTS viewer_store.viewer (
  viewer_uuid VARCHAR(45)  NOT NULL PRIMARY KEY,
  name        VARCHAR(100) NOT NULL
);
CREATE TABLE IF NOT EXISTS viewer_store.viewer_version (
  viewer_version_uuid VARCHAR(45)  NOT NULL PRIMARY KEY,
  viewer_uuid         VARCHAR(45)  NOT NULL,
  version_string      VARCHAR(100) NULL,
  viewer_path         VARCHAR(200) NULL,
  viewer_checksum     VARCHAR(200) NULL
);
CREATE TABLE IF NOT EXISTS viewer_store.viewer_instance (
  viewer_instance_uuid VARCHAR(45)  NOT NULL PRIMARY KEY,
  viewer_version_uuid  VARCHAR(45)  NOT NULL,
  project_uuid         VARCHAR(45)  NOT NULL,
  viewer_db_path       VARCHAR(200) NULL,
  viewer_db_checksum   VARCHAR(200) NULL,
  platform_image       VARCHAR(100) NULL,
  code_dx_version      VARCHAR(100) NULL,
  status               VARCHAR(100) NULL,
  status_code          INT          NULL,
  vm_ip_address        VARCHAR(50)  NULL,
  proxy_url            VARCHAR(100) NULL,
  create_user          VARCHAR(50)  NULL,
  create_date          DATETIME     NULL,
  update_user          VARCHAR(50)  NULL,
  update_date          DATETIME     NULL,
  KEY viewer_instance_vp (viewer_version_uuid, project_uuid)
);
CREATE TABLE IF NOT EXISTS viewer_store.viewer_launch_history (
  viewer_launch_history_id INT           NOT NULL AUTO_INCREMENT PRIMARY KEY,
  viewer_version_uuid      VARCHAR(45)   NULL,
  project_uuid             VARCHAR(45)   NULL,
  viewer_instance_uuid     VARCHAR(45)   NULL,
  assessment_result_uuid   VARCHAR(5000) NULL,
  user_uuid                VARCHAR(45)   NULL,
  run_date                 DATETIME      NULL,
  create_user              VARCHAR(50)   NULL,
  create_date              DATETIME      NULL
);
