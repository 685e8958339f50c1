#!/bin/bash
# run.sh of the SIMULATED assessment framework (services/docker/framework; installed by
# scripts/services.sh as <swampDir>/thirdparty/{c,java,ruby,script}-assess/noarch, which
# PreAssessment copies into in/ like a real framework). It stands in for SWAMP's frameworks: a real
# run.sh builds the package and runs the tool; this one plays the same protocol with our assessment
# machine (lib/machine/assessment-machine.ts) on the platform image's Node: events in
# out/job_events.log, out/job_ip_address.txt, status.out and the results archives in out/.
# HTCondor's docker universe starts it as `/bin/bash -c 'ulimit -n 1024 && in/run.sh --type=docker'`
# in the job's scratch directory; a docker run.sh writes its events with `>` (one word per write).
case $0 in */*) cd "${0%/*}/.." || exit 1 ;; esac
mode=append
[ "${1:-}" = --type=docker ] && mode=truncate
exec node in/swamp-machine.cjs swamp-assessment-machine --event-mode "$mode"
