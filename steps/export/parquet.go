package export

import (
	"fmt"
	"io"
	"reflect"
	"strconv"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// ParquetSchema returns the Parquet schema of an export: one optional
// column per output column, in output order, typed by the column's type
// (string, int64, double, boolean). Empty fields of typed columns are null.
func ParquetSchema(names, types []string) *parquet.Schema {
	g := orderedGroup{group: parquet.Group{}, order: names}
	for i, n := range names {
		var node parquet.Node
		switch types[i] {
		case TypeInteger:
			node = parquet.Int(64)
		case TypeNumber:
			node = parquet.Leaf(parquet.DoubleType)
		case TypeBoolean:
			node = parquet.Leaf(parquet.BooleanType)
		default:
			node = parquet.String()
		}
		g.group[n] = parquet.Compressed(parquet.Optional(node), &parquet.Snappy)
	}
	return parquet.NewSchema("export", g)
}

// orderedGroup is a parquet.Group whose fields keep the output column
// order (parquet.Group sorts them by name).
type orderedGroup struct {
	group parquet.Group
	order []string
}

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return g.group.String() }
func (g orderedGroup) Type() parquet.Type          { return g.group.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type        { return g.group.GoType() }
func (g orderedGroup) Fields() []parquet.Field {
	fs := make([]parquet.Field, len(g.order))
	for i, n := range g.order {
		fs[i] = orderedField{Node: g.group[n], name: n}
	}
	return fs
}

type orderedField struct {
	parquet.Node
	name string
}

func (f orderedField) Name() string { return f.name }
func (f orderedField) Value(base reflect.Value) reflect.Value {
	return base.MapIndex(reflect.ValueOf(f.name))
}

// RowGroupRows is how many rows the Parquet writer buffers per row group;
// it bounds the writer's memory.
const RowGroupRows = 64 * 1024

type parquetWriter struct {
	w     *parquet.GenericWriter[any]
	names []string
	types []string
	rows  []parquet.Row
	row   parquet.Row
}

func newParquetWriter(w io.Writer, names, types []string) (*parquetWriter, error) {
	schema := ParquetSchema(names, types)
	// GenericWriter[any] with an explicit schema is what parquet-go
	// documents as the replacement of the deprecated Writer: the same
	// encoder, rows given as parquet.Row.
	pw := parquet.NewGenericWriter[any](w, schema, parquet.MaxRowsPerRowGroup(RowGroupRows))
	return &parquetWriter{w: pw, names: names, types: types, rows: make([]parquet.Row, 1)}, nil
}

func (p *parquetWriter) Write(values []string) error {
	row := p.row[:0]
	for i, v := range values {
		var val parquet.Value
		t := p.types[i]
		switch {
		case t == TypeString || t == "":
			// Parquet's STRING is UTF-8: bytes that are not cannot be
			// carried unchanged, so the row is rejected.
			if err := checkUTF8(v, p.names[i], FormatParquet); err != nil {
				return err
			}
			val = parquet.ByteArrayValue([]byte(v)).Level(0, 1, i)
		case v == "":
			val = parquet.NullValue().Level(0, 0, i)
		case t == TypeInteger:
			x, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("%q is not an integer", v)
			}
			val = parquet.Int64Value(x).Level(0, 1, i)
		case t == TypeNumber:
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("%q is not a number", v)
			}
			val = parquet.DoubleValue(x).Level(0, 1, i)
		case t == TypeBoolean:
			x, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not a boolean", v)
			}
			val = parquet.BooleanValue(x).Level(0, 1, i)
		}
		row = append(row, val)
	}
	p.row = row
	p.rows[0] = row
	_, err := p.w.WriteRows(p.rows)
	return err
}

func (p *parquetWriter) Close() error { return p.w.Close() }
