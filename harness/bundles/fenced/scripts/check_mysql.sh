#!/bin/bash
# Fails (exit 1) when mysqld does not answer within 1 s; keepalived then goes to FAULT.
exec timeout 1.5 mysqladmin -uhealthcheck -phealthcheck -h127.0.0.1 \
  --connect-timeout=1 ping >/dev/null 2>&1
