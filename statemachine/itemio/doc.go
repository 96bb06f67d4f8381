// Package itemio implements the S3 side of a Distributed Map state:
// ItemReader (s3:getObject with CSV, JSON, JSONL and MANIFEST input,
// s3:listObjectsV2), ItemBatcher and ResultWriter, with the item shapes,
// file layouts and error names AWS Step Functions uses.
//
// It imports only the standard library and reaches S3 through
// [objects.Store], the object store the engine and the steps share. It does not evaluate JSONPath or JSONata: the engine resolves
// Parameters/Arguments, MaxItemsPath and the like first and hands the
// resulting values to [ParseReader], [ParseBatcher] and [ParseWriter]. It
// does not run child executions either.
package itemio
