#!/bin/bash
# Check MySQL on this host; if it does not answer, stop keepalived so the VIP moves.
mysql -uhealthcheck -pcheck123 -h192.168.0.129 -e "show status;" >/dev/null 2>&1
if [ $? == 0 ]
then
    echo " mysql is running "
else
    echo " mysql is down, stop keepalived "
    systemctl stop keepalived
fi
