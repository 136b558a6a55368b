#!/bin/bash
# notify_master: on a cloud network gratuitous ARP moves nothing; the new MASTER asks the
# platform to move the VIP to its own interface. In production, for example:
#   aws ec2 assign-private-ip-addresses --network-interface-id "$ENI" \
#       --private-ip-addresses 192.168.0.130 --allow-reassignment
# In the lab, vc-cloud stands in for the platform (it answers at once, moves the address ~1 s
# later, as the real APIs do).
vc-cloud assign 192.168.0.130
