resource "aws_s3_bucket" "exports" {
  bucket        = local.bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "exports" {
  bucket = aws_s3_bucket.exports.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "exports" {
  bucket = aws_s3_bucket.exports.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "exports" {
  bucket = aws_s3_bucket.exports.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == "" ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn == "" ? null : var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != ""
  }
}

resource "aws_s3_bucket_versioning" "exports" {
  bucket = aws_s3_bucket.exports.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "exports" {
  bucket = aws_s3_bucket.exports.id

  rule {
    id     = "expire-work-files"
    status = "Enabled"
    filter {
      prefix = local.prefixes.work
    }
    expiration {
      days = var.work_expiration_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  rule {
    id     = "expire-decided-approvals"
    status = "Enabled"
    filter {
      prefix = "${local.prefixes.approvals}decided/"
    }
    expiration {
      days = var.decided_approval_expiration_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  # The decision page's receipts (approvals/decisions/) answer a second
  # click; they matter no longer than the decided records.
  rule {
    id     = "expire-approval-receipts"
    status = "Enabled"
    filter {
      prefix = "${local.prefixes.approvals}decisions/"
    }
    expiration {
      days = var.decided_approval_expiration_days
    }
    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  rule {
    id     = "expire-old-versions"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }

  depends_on = [aws_s3_bucket_versioning.exports]
}

resource "aws_s3_bucket_policy" "exports" {
  bucket = aws_s3_bucket.exports.id
  policy = module.definitions.bucket_policy

  depends_on = [aws_s3_bucket_public_access_block.exports]
}

# Object-created events go to EventBridge, where the trigger rule picks up
# export requests.
resource "aws_s3_bucket_notification" "exports" {
  bucket      = aws_s3_bucket.exports.id
  eventbridge = true
}
