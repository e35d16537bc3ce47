# The layers every function shares (lambda/BUILD; `./pants package lambda::` writes
# dist/lambda/<layer>.zip). The data layer's zip is over the 50 MB a direct upload
# takes, so layers go through the warehouse bucket, keyed by their content: a code
# change re-uploads a function's kilobytes, and a layer gets a new version only when
# its bytes change (the zips are reproducible).

locals {
  # Every function's, in this order; no path is in both (tests/test_lambda_zips.py).
  layers = ["data_layer", "powertools_layer"]
  layer_zips = {
    for layer in local.layers : layer => "${var.dist_dir}/lambda/${layer}.zip"
  }
}

resource "aws_s3_object" "layer" {
  for_each   = local.layer_zips
  bucket     = aws_s3_bucket.warehouse.id
  key        = "lambda-layers/${each.key}/${filesha256(each.value)}.zip"
  source     = each.value
  kms_key_id = aws_kms_key.platform.arn
}

resource "aws_lambda_layer_version" "this" {
  for_each                 = local.layer_zips
  layer_name               = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  s3_bucket                = aws_s3_object.layer[each.key].bucket
  s3_key                   = aws_s3_object.layer[each.key].key
  source_code_hash         = filebase64sha256(each.value)
  compatible_runtimes      = ["python3.11"]
  compatible_architectures = ["x86_64"]
}
