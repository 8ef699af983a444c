"""Pagoda's two-level against PAE report, behind the tools/compare-report command.

    records     parse the kernel's CMP records from a serial log (Records, parse_log)
    arithmetic  the structural values from the entry formats, independent of the kernel's C,
                and the replay of the fragmentation churn
    checks      what a run must show, against the kernel's arithmetic and this package's own
    processes   the process and fragmentation sections: derived numbers and their Markdown
    csv_files   structural.csv, timing.csv, info.csv, proc-tables.csv, frag.csv
    svg         latency.svg, pt-bytes.svg, proc-pt.svg, frag.svg
    markdown    report.md
    boot        build, make the disk image, boot QEMU (needs tools/ on sys.path for qemu, mkimage)
    cli         the command line
"""
