"""Pagoda's process benchmark report, behind the tools/procbench-report command.

    records  parse the PROCBENCH lines procbench (user/programs/procbench.c) prints (parse_log)
    report   the side-by-side table of both paging formats: report.md and procbench.csv
    boot     build, make a disk image with procbench as init, boot it in QEMU (needs tools/ on
             sys.path for qemu and mkimage)
    cli      the command line
"""
