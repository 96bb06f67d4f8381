# One Step Functions activity per entry of "activities" in steps/steps.json:
# a step that runs longer than Lambda's 15 minutes, as a worker of one's own
# (package steps/activity) on ECS, EC2 or any machine with credentials. The
# definitions name it by its ${...ActivityArn} placeholder; the local stack
# creates the same activity under the same name.

resource "aws_sfn_activity" "activity" {
  for_each = module.definitions.activities

  name = each.value.name
}

# What a worker of the activity may do, and nothing else: take its tasks and
# answer them. Attach it to the worker's role (see output activities).
resource "aws_iam_policy" "activity_worker" {
  for_each = module.definitions.activities

  name        = "${each.value.name}-worker"
  description = "Work on Step Functions activity ${each.value.name}: GetActivityTask, SendTaskSuccess/Failure/Heartbeat on it only."
  policy      = each.value.worker_policy
}
