#!/bin/sh
# Prints the SQL that gives the backend's DB account (dbPerlUser of swamp.conf) exactly what our
# programs and HTCondor hooks use, and nothing else: no FILE, no GRANT OPTION, no ALL, no DDL.
# Everything they change goes through stored procedures or single-column flag updates.
#   sql/grants.sh <user> <password> <host>...  | mariadb -uroot
# Used by services/mariadb/db.sh for the test fixture; docs/database.md and docs/security.md list it.
# Any previous privilege of the account is revoked first (the fixture used to grant ALL).
set -eu
[ $# -ge 3 ] || { echo "usage: $0 <user> <password> <host>..." >&2; exit 2; }
user=$1; pw=$2; shift 2
case "$user$pw" in *"'"*|*"\\"*) echo "$0: quotes and backslashes are not accepted in the user or password" >&2; exit 2 ;; esac
for h in "$@"; do
  a="'$user'@'$h'"
  echo "CREATE USER IF NOT EXISTS $a;"
  if [ "$h" = localhost ]; then
    # the mariadbd OS user (the same name) may also connect over the socket without a password
    echo "ALTER USER $a IDENTIFIED VIA mysql_native_password USING PASSWORD('$pw') OR unix_socket;"
  else
    echo "ALTER USER $a IDENTIFIED BY '$pw';"
  fi
  echo "REVOKE ALL PRIVILEGES, GRANT OPTION FROM $a;"
  # launchassessment, killjob, the hooks: run rows and their three flags
  echo "GRANT SELECT, UPDATE ON assessment.execution_record TO $a;"
  echo "GRANT SELECT, UPDATE ON metric.metric_run TO $a;"
  echo "GRANT SELECT ON assessment.exec_run_view TO $a;"
  # launch_viewer's authority checks (which file, which project) and the viewer hooks
  echo "GRANT SELECT ON assessment.assessment_result TO $a;"
  echo "GRANT SELECT ON viewer_store.viewer_instance TO $a;"
  # statuses, results, saved viewer databases: through the procedures only
  echo "GRANT EXECUTE ON PROCEDURE assessment.update_execution_run_status TO $a;"
  echo "GRANT EXECUTE ON PROCEDURE assessment.insert_results TO $a;"
  echo "GRANT EXECUTE ON PROCEDURE viewer_store.store_viewer TO $a;"
done
