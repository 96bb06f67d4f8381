package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/steps/datagen"
)

func newGenCmd() *command {
	return &command{
		name: "gen", args: "[--rows N | --size 1GiB] [--format csv|jsonl] [--seed N] [--out FILE|-]",
		summary: "Generate a deterministic orders data set (quoted delimiters, embedded newlines, non-ASCII) for trying and benchmarking exports.",
		examples: []string{
			"runner gen                      # 1,000 rows to orders.csv",
			"runner gen --rows 5 --out -     # to standard output",
			"runner gen --size 1GiB --out /tmp/orders-1g.csv && runner export /tmp/orders-1g.csv --where 'total > 100' --yes",
		},
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			rows := fs.Int64("rows", 0, "number of data rows")
			size := fs.String("size", "", "approximate size instead of a row count, e.g. 100MB, 1GiB")
			format := fs.String("format", "csv", "csv or jsonl")
			seed := fs.Uint64("seed", 1, "data set seed: the same seed and size give the same bytes")
			out := fs.String("out", "", "output file, or - for standard output (default orders.csv or orders.jsonl, which must not exist yet). A regular file is replaced whole when written; a symbolic link is followed and kept; a device or pipe is written in place")
			return func(ctx context.Context, args []string) error {
				if err := wantArgs(args, 0, 0, ""); err != nil {
					return err
				}
				if *format != "csv" && *format != "jsonl" {
					return usagef("--format must be csv or jsonl, not %q", *format)
				}
				opts := datagen.Options{Rows: *rows, Seed: *seed, Format: *format}
				if *size != "" {
					if *rows != 0 {
						return usagef("give --rows or --size, not both")
					}
					n, err := parseSize(*size)
					if err != nil {
						return usagef("--size: %v", err)
					}
					opts.Bytes = n
				}
				if opts.Rows == 0 && opts.Bytes == 0 {
					opts.Rows = 1000
				}
				// Without --out the rows go to a file, not the terminal; an
				// existing file is replaced only when named on purpose.
				name := *out
				if name == "" {
					name = "orders." + *format
					if _, err := os.Lstat(name); err == nil {
						return usagef("%s exists: pass --out %s to replace it, --out FILE for another file, or --out - for standard output", name, name)
					}
				}
				o, err := createOutput(name, a.stdout)
				if err != nil {
					return err
				}
				n, err := datagen.Write(o, opts)
				if err != nil {
					o.Abort()
					return err
				}
				if err := o.Commit(); err != nil {
					return err
				}
				if name == "-" {
					return nil
				}
				result := map[string]any{"file": name, "rows": n, "format": *format, "seed": *seed}
				if a.g.output == "json" {
					return a.emit(result, nil)
				}
				fmt.Fprintf(a.stderr, "wrote %d rows to %s\n", n, name)
				return nil
			}
		},
	}
}

// parseSize reads sizes like 512, 10KB, 100MB, 1GiB (KB/MB/GB are powers
// of 1000, KiB/MiB/GiB powers of 1024).
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(num), strings.ToUpper(u.suffix)) && (u.suffix != "B" || !strings.ContainsAny(num[len(num)-2:len(num)-1], "kKmMgGiI")) {
			mult = u.mult
			num = strings.TrimSpace(num[:len(num)-len(u.suffix)])
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("%q is not a size such as 100MB or 1GiB", s)
	}
	return int64(v * float64(mult)), nil
}
