#!/bin/bash
# As found in production: stop keepalived when MySQL is not listening.
counter=$(netstat -na | grep "LISTEN" | grep -c ":3306 ")
if [ "${counter}" -eq 0 ]; then
    systemctl stop keepalived
fi
