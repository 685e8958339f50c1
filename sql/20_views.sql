-- exec_run_view: one row per run that is not complete, assessment runs and metric runs alike.
-- The backend builds the BOG from `SELECT * FROM assessment.exec_run_view WHERE
-- execution_record_uuid = ?` (mirswamp/services perl/agents/vmu_LaunchPad.pl _computeBOG, mirswamp/services perl/agents/lib/SWAMP/vmu_Support.pm saveProperties); every column the BOG needs is here.
-- Metric rows: project_uuid = user_uuid = 'METRIC', user_cnf NULL, notify_when_complete_flag 0.
CREATE OR REPLACE VIEW assessment.exec_run_view AS
SELECT er.execution_record_uuid,
       er.launch_counter,
       er.project_uuid,
       er.user_uuid,
       pkg.name                        AS package_name,
       pv.version_string               AS package_version,
       pkg.package_language,
       pt.name                         AS package_type,
       pv.package_path,
       pv.checksum                     AS pkg_checksum,
       pv.source_path,
       pv.build_file,
       pv.build_system,
       pv.build_cmd,
       pv.build_target,
       pv.build_dir,
       pv.build_opt,
       pv.config_cmd,
       pv.config_opt,
       pv.config_dir,
       pv.bytecode_class_path,
       pv.bytecode_aux_class_path,
       pv.bytecode_source_path,
       pv.android_sdk_target,
       pv.android_lint_target,
       pv.android_redo_build,
       pv.use_gradle_wrapper,
       pv.language_version,
       pv.maven_version,
       pv.android_maven_plugin,
       pv.exclude_paths,
       pv.package_build_settings,
       pv.package_info,
       t.name                          AS tool_name,
       tv.version_string,
       tv.tool_path,
       tv.checksum                     AS tool_checksum,
       plv.platform_path,
       plv.platform_identifier,
       dep.dependency_list,
       -- Sonatype's tool version carries the user's Sonatype account (JSON) into the BOG
       CASE WHEN tv.tool_version_uuid = 'a6d2a89e-4a1c-11e7-a337-001a4a81450b'
            THEN (SELECT up.meta_information FROM project.user_permission up
                   WHERE up.user_uid = er.user_uuid AND up.permission_code = 'sonatype-user')
            ELSE NULL END              AS user_cnf,
       er.notify_when_complete_flag
  FROM assessment.execution_record er
  JOIN package_store.package_version pv    ON pv.package_version_uuid = er.package_version_uuid
  JOIN package_store.package pkg           ON pkg.package_uuid = pv.package_uuid
  JOIN package_store.package_type pt       ON pt.package_type_id = pkg.package_type_id
  JOIN tool_shed.tool_version tv           ON tv.tool_version_uuid = er.tool_version_uuid
  JOIN tool_shed.tool t                    ON t.tool_uuid = tv.tool_uuid
  JOIN platform_store.platform_version plv ON plv.platform_version_uuid = er.platform_version_uuid
  LEFT JOIN package_store.package_version_dependency dep
         ON dep.package_version_uuid = er.package_version_uuid
        AND dep.platform_version_uuid = er.platform_version_uuid
 WHERE er.complete_flag = 0
UNION
SELECT mr.metric_run_uuid,
       mr.launch_counter,
       'METRIC',
       'METRIC',
       pkg.name,
       pv.version_string,
       pkg.package_language,
       pt.name,
       pv.package_path,
       pv.checksum,
       pv.source_path,
       pv.build_file,
       pv.build_system,
       pv.build_cmd,
       pv.build_target,
       pv.build_dir,
       pv.build_opt,
       pv.config_cmd,
       pv.config_opt,
       pv.config_dir,
       pv.bytecode_class_path,
       pv.bytecode_aux_class_path,
       pv.bytecode_source_path,
       pv.android_sdk_target,
       pv.android_lint_target,
       pv.android_redo_build,
       pv.use_gradle_wrapper,
       pv.language_version,
       pv.maven_version,
       pv.android_maven_plugin,
       pv.exclude_paths,
       pv.package_build_settings,
       pv.package_info,
       mt.name,
       mtv.version_string,
       mtv.tool_path,
       mtv.checksum,
       plv.platform_path,
       plv.platform_identifier,
       dep.dependency_list,
       NULL,
       0
  FROM metric.metric_run mr
  JOIN package_store.package_version pv    ON pv.package_version_uuid = mr.package_version_uuid
  JOIN package_store.package pkg           ON pkg.package_uuid = pv.package_uuid
  JOIN package_store.package_type pt       ON pt.package_type_id = pkg.package_type_id
  JOIN metric.metric_tool_version mtv      ON mtv.metric_tool_version_uuid = mr.tool_version_uuid
  JOIN metric.metric_tool mt               ON mt.metric_tool_uuid = mtv.metric_tool_uuid
  JOIN platform_store.platform_version plv ON plv.platform_version_uuid = mr.platform_version_uuid
  LEFT JOIN package_store.package_version_dependency dep
         ON dep.package_version_uuid = mr.package_version_uuid
        AND dep.platform_version_uuid = mr.platform_version_uuid
 WHERE mr.complete_flag = 0;
