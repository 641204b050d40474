#!/bin/bash
# On a machine without a GPU (CI), gpu_check exits 3 with a message; with one, 0/1.
"$1" /dev/null /dev/null; rc=$?
[ $rc -eq 3 ] || [ $rc -eq 0 ] || [ $rc -eq 1 ]
