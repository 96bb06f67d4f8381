package itemio

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/stepwise-dev/stepwise/statemachine/objects"
)

// ItemReader resources this package implements.
const (
	ResourceGetObject     = "arn:aws:states:::s3:getObject"
	ResourceListObjectsV2 = "arn:aws:states:::s3:listObjectsV2"
)

// InputType values of ReaderConfig.
const (
	InputCSV      = "CSV"
	InputJSON     = "JSON"
	InputJSONL    = "JSONL"
	InputManifest = "MANIFEST"
)

// MaxItemsLimit is the largest ReaderConfig.MaxItems Step Functions accepts.
const MaxItemsLimit = 100_000_000

// ReaderSpec is a resolved ItemReader: what to read and how.
type ReaderSpec struct {
	// Resource is ResourceGetObject or ResourceListObjectsV2.
	Resource string
	Bucket   string
	// Key is the object to read (getObject).
	Key string
	// Prefix limits a listing (listObjectsV2).
	Prefix string
	// InputType is InputCSV, InputJSON, InputJSONL or InputManifest
	// (getObject only).
	InputType string
	// CSVHeaderLocation is "FIRST_ROW" (the default) or "GIVEN".
	CSVHeaderLocation string
	// CSVHeaders are the column names when CSVHeaderLocation is "GIVEN".
	CSVHeaders []string
	// CSVDelimiter is COMMA (default), PIPE, SEMICOLON, SPACE or TAB.
	CSVDelimiter string
	// MaxItems stops reading after that many items; 0 reads all.
	MaxItems int
}

// ParseReader builds a ReaderSpec from an ItemReader's Resource, its
// evaluated Parameters (JSONPath) or Arguments (JSONata), and its
// ReaderConfig with MaxItemsPath already resolved into MaxItems. Problems
// are *Error values named States.ItemReaderFailed.
func ParseReader(resource string, args, readerConfig any) (ReaderSpec, error) {
	spec := ReaderSpec{Resource: resource}
	a, ok := asObject(args)
	if !ok {
		return spec, readerErr("ItemReader parameters must be an object, got %s", describe(args))
	}
	cfg := map[string]any{}
	if readerConfig != nil {
		if cfg, ok = asObject(readerConfig); !ok {
			return spec, readerErr("ItemReader.ReaderConfig must be an object, got %s", describe(readerConfig))
		}
	}
	var err error
	if spec.Bucket, err = stringField(a, "Bucket", true, "ItemReader parameters"); err != nil {
		return spec, err
	}
	switch resource {
	case ResourceGetObject:
		if spec.Key, err = stringField(a, "Key", true, "ItemReader parameters"); err != nil {
			return spec, err
		}
		if spec.InputType, err = stringField(cfg, "InputType", true, "ItemReader.ReaderConfig"); err != nil {
			return spec, err
		}
		switch spec.InputType {
		case InputCSV, InputJSON, InputJSONL, InputManifest:
		default:
			return spec, readerErr("ItemReader.ReaderConfig.InputType %q is not supported (want CSV, JSON, JSONL or MANIFEST)", spec.InputType)
		}
	case ResourceListObjectsV2:
		if spec.Prefix, err = stringField(a, "Prefix", false, "ItemReader parameters"); err != nil {
			return spec, err
		}
	default:
		return spec, readerErr("ItemReader.Resource %q is not supported (want %s or %s)", resource, ResourceGetObject, ResourceListObjectsV2)
	}
	if spec.CSVHeaderLocation, err = stringField(cfg, "CSVHeaderLocation", false, "ItemReader.ReaderConfig"); err != nil {
		return spec, err
	}
	if spec.CSVDelimiter, err = stringField(cfg, "CSVDelimiter", false, "ItemReader.ReaderConfig"); err != nil {
		return spec, err
	}
	if h, ok := cfg["CSVHeaders"]; ok {
		list, ok := h.([]any)
		if !ok {
			return spec, readerErr("ItemReader.ReaderConfig.CSVHeaders must be an array of strings, got %s", describe(h))
		}
		for i, v := range list {
			s, ok := v.(string)
			if !ok {
				return spec, readerErr("ItemReader.ReaderConfig.CSVHeaders[%d] must be a string, got %s", i, describe(v))
			}
			spec.CSVHeaders = append(spec.CSVHeaders, s)
		}
	}
	if m, ok := cfg["MaxItems"]; ok {
		f, ok := m.(float64)
		if n, isNum := m.(json.Number); isNum {
			f, _ = n.Float64()
			ok = true
		}
		if !ok || f != math.Trunc(f) || f < 0 || f > MaxItemsLimit {
			return spec, readerErr("ItemReader.ReaderConfig.MaxItems must be an integer from 0 to %d, got %s", MaxItemsLimit, describe(m))
		}
		spec.MaxItems = int(f)
	}
	return spec, spec.check()
}

// check validates the CSV settings of a spec.
func (s ReaderSpec) check() error {
	if s.InputType != InputCSV {
		return nil
	}
	switch s.CSVHeaderLocation {
	case "", "FIRST_ROW":
		if len(s.CSVHeaders) > 0 {
			return readerErr("ItemReader.ReaderConfig.CSVHeaders is only allowed with CSVHeaderLocation GIVEN")
		}
	case "GIVEN":
		if len(s.CSVHeaders) == 0 {
			return readerErr("ItemReader.ReaderConfig.CSVHeaders is required with CSVHeaderLocation GIVEN")
		}
	default:
		return readerErr("ItemReader.ReaderConfig.CSVHeaderLocation %q is not supported (want FIRST_ROW or GIVEN)", s.CSVHeaderLocation)
	}
	if _, err := delimiter(s.CSVDelimiter); err != nil {
		return err
	}
	return nil
}

func delimiter(name string) (rune, error) {
	switch name {
	case "", "COMMA":
		return ',', nil
	case "PIPE":
		return '|', nil
	case "SEMICOLON":
		return ';', nil
	case "SPACE":
		return ' ', nil
	case "TAB":
		return '\t', nil
	}
	return 0, readerErr("ItemReader.ReaderConfig.CSVDelimiter %q is not supported (want COMMA, PIPE, SEMICOLON, SPACE or TAB)", name)
}

// errStop ends reading once MaxItems items were delivered.
var errStop = errors.New("itemio: enough items")

// ReadItems reads the items spec describes and calls fn for each, in
// order, as decoded JSON values (CSV rows become objects of strings). An
// error from fn stops reading and is returned as is; every other failure
// is an *Error named States.ItemReaderFailed whose cause names the S3
// object and the place in it (row, line or item index).
func ReadItems(ctx context.Context, store objects.Store, spec ReaderSpec, fn func(item any) error) error {
	if store == nil {
		return readerErr("no object store is configured: Distributed Map ItemReader needs S3")
	}
	if err := spec.check(); err != nil {
		return err
	}
	n := 0
	emit := func(item any) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(item); err != nil {
			return err
		}
		n++
		if spec.MaxItems > 0 && n >= spec.MaxItems {
			return errStop
		}
		return nil
	}
	var err error
	switch spec.Resource {
	case ResourceListObjectsV2:
		var infos []objects.ObjectInfo
		infos, err = store.List(ctx, spec.Bucket, spec.Prefix)
		if err != nil && ctx.Err() == nil {
			err = readerErr("listing s3://%s/%s failed: %v", spec.Bucket, spec.Prefix, err)
		}
		for _, o := range infos {
			if err = emit(map[string]any{
				"Etag":         o.ETag,
				"Key":          o.Key,
				"LastModified": float64(o.LastModified.Unix()),
				"Size":         float64(o.Size),
				"StorageClass": o.StorageClass,
			}); err != nil {
				break
			}
		}
	case ResourceGetObject:
		err = readObject(ctx, store, spec, emit)
	default:
		return readerErr("ItemReader.Resource %q is not supported", spec.Resource)
	}
	if err == errStop {
		return nil
	}
	return err
}

func readObject(ctx context.Context, store objects.Store, spec ReaderSpec, emit func(any) error) error {
	body, err := open(ctx, store, spec.Bucket, spec.Key)
	if err != nil {
		return err
	}
	defer body.Close()
	where := "s3://" + spec.Bucket + "/" + spec.Key
	switch spec.InputType {
	case InputJSON:
		return readJSON(body, where, emit)
	case InputJSONL:
		return readJSONL(body, where, emit)
	case InputCSV:
		delim, _ := delimiter(spec.CSVDelimiter)
		var headers []string
		if spec.CSVHeaderLocation == "GIVEN" {
			headers = spec.CSVHeaders
		}
		return readCSV(body, where, delim, headers, emit)
	case InputManifest:
		return readManifest(ctx, store, body, where, emit)
	}
	return readerErr("ItemReader.ReaderConfig.InputType %q is not supported", spec.InputType)
}

func open(ctx context.Context, store objects.Store, bucket, key string) (io.ReadCloser, error) {
	rc, _, err := store.Get(ctx, bucket, key, 0, -1)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, readerErr("cannot read s3://%s/%s: %v", bucket, key, err)
	}
	return rc, nil
}

func readJSON(r io.Reader, where string, emit func(any) error) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	tok, err := dec.Token()
	if err != nil {
		return readerErr("%s is not valid JSON: %v", where, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		// Step Functions' own cause, word for word.
		return readerErr("Attempting to map over non-iterable node.")
	}
	for i := 0; dec.More(); i++ {
		var item any
		if err := dec.Decode(&item); err != nil {
			return readerErr("%s: item %d is not valid JSON (offset %d): %v", where, i, dec.InputOffset(), err)
		}
		if err := emit(item); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return readerErr("%s: the JSON array is not closed properly: %v", where, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return readerErr("%s: unexpected data after the JSON array (offset %d)", where, dec.InputOffset())
	}
	return nil
}

func readJSONL(r io.Reader, where string, emit func(any) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			var item any
			if jerr := json.Unmarshal(b, &item); jerr != nil {
				return readerErr("%s: line %d is not valid JSON: %v", where, line, jerr)
			}
			if eerr := emit(item); eerr != nil {
				return eerr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return readerErr("reading %s failed at line %d: %v", where, line, err)
		}
	}
}

// readCSV emits one object per data row; values stay strings. With
// headers nil the first row is the header. Duplicate headers fail with
// the cause Step Functions gives.
func readCSV(r io.Reader, where string, delim rune, headers []string, emit func(any) error) error {
	cr := csv.NewReader(bufio.NewReaderSize(r, 64<<10))
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	if headers == nil {
		rec, err := cr.Read()
		if err == io.EOF {
			return readerErr("%s is empty: the CSV header row is missing", where)
		}
		if err != nil {
			return readerErr("%s: %v", where, csvErr(err))
		}
		headers = append([]string(nil), rec...)
	}
	seen := make(map[string]bool, len(headers))
	for _, h := range headers {
		if seen[h] {
			return readerErr("CSV headers cannot contain duplicates.")
		}
		seen[h] = true
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return readerErr("%s: %v", where, csvErr(err))
		}
		// As Step Functions does: missing trailing fields are empty
		// strings, fields beyond the header are dropped.
		item := make(map[string]any, len(headers))
		for i, h := range headers {
			v := ""
			if i < len(rec) {
				v = rec[i]
			}
			item[h] = v
		}
		if err := emit(item); err != nil {
			return err
		}
	}
}

func csvErr(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return "row " + strconv.Itoa(pe.Line) + ", column " + strconv.Itoa(pe.Column) + ": " + pe.Err.Error()
	}
	return err.Error()
}

// inventoryManifest is the part of an S3 Inventory manifest.json we use.
type inventoryManifest struct {
	DestinationBucket string `json:"destinationBucket"`
	FileFormat        string `json:"fileFormat"`
	FileSchema        string `json:"fileSchema"`
	Files             []struct {
		Key string `json:"key"`
	} `json:"files"`
}

// readManifest reads an S3 Inventory manifest and then every inventory
// file it lists (CSV, gzip-compressed when the key ends in .gz), with the
// manifest's fileSchema as the header.
func readManifest(ctx context.Context, store objects.Store, r io.Reader, where string, emit func(any) error) error {
	var m inventoryManifest
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		return readerErr("%s is not a valid S3 Inventory manifest: %v", where, err)
	}
	if m.FileFormat != "CSV" {
		return readerErr("%s: fileFormat %q is not supported (only CSV inventories can be read)", where, m.FileFormat)
	}
	bucket := strings.TrimPrefix(m.DestinationBucket, "arn:aws:s3:::")
	if bucket == "" {
		return readerErr("%s: destinationBucket is missing", where)
	}
	var headers []string
	for _, h := range strings.Split(m.FileSchema, ",") {
		if h = strings.TrimSpace(h); h != "" {
			headers = append(headers, h)
		}
	}
	if len(headers) == 0 {
		return readerErr("%s: fileSchema is missing", where)
	}
	for i, f := range m.Files {
		if f.Key == "" {
			return readerErr("%s: files[%d].key is missing", where, i)
		}
		if err := readInventoryFile(ctx, store, bucket, f.Key, headers, emit); err != nil {
			return err
		}
	}
	return nil
}

func readInventoryFile(ctx context.Context, store objects.Store, bucket, key string, headers []string, emit func(any) error) error {
	body, err := open(ctx, store, bucket, key)
	if err != nil {
		return err
	}
	defer body.Close()
	var r io.Reader = body
	if strings.HasSuffix(key, ".gz") {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return readerErr("s3://%s/%s is not gzip data: %v", bucket, key, err)
		}
		defer zr.Close()
		r = zr
	}
	return readCSV(r, "s3://"+bucket+"/"+key, ',', headers, emit)
}
