"""The real-time video processing lab: an upload to S3 triggers a Lambda function that makes
renditions of the video for phones, tablets and TVs.

Read it as a recipe: ``names`` (what it builds and its settings), ``steps`` (buckets, ffmpeg,
trigger) and ``function_step`` (the function and its role), ``verify`` (real uploads, and
everything that comes out read with ``media``), ``ffmpeg`` (the binary, its layer, the sample
clips), ``text/``, ``template.sam.yaml`` and ``functions/video_transcoder/app.py``.
"""

from dataclasses import dataclass
from pathlib import Path

from labs.catalog.video import function_step, sabotage, steps, verify
from labs.catalog.video.names import (
    EPHEMERAL_MB, FUNCTION_SOURCE, MEMORY_MB, RUNTIME, PRICE_PER_EPHEMERAL_GB_SECOND, PRICE_PER_GB_SECOND,
    TRANSCODE_SECONDS_PER_VIDEO_MINUTE, UPLOAD_PREFIX, USAGE, VIDEO_SUFFIXES, cost_per_video_minute, output_bucket,
    uploads_bucket, variables,
)

__all__ = ["LAB", "UPLOAD_PREFIX", "VIDEO_SUFFIXES", "output_bucket", "uploads_bucket"]  # what the run page uses
from labs.engine.lab import Lab, Step

FOLDER = Path(__file__).parent


def _instructions(name: str) -> str:
    return (FOLDER / "text" / f"{name}.md").read_text()

def _cost_text() -> str:
    return (f"About US${cost_per_video_minute():.3f} per minute of 1080p video transcoded, plus S3 storage for the "
            "renditions (see \u201cWhat it costs\u201d below). The lab's own clips are seconds long: well inside the AWS "
            "Free Tier.")


def _cost_markdown() -> str:
    """The use case's cost section, computed from the settings the lab deploys."""
    seconds = TRANSCODE_SECONDS_PER_VIDEO_MINUTE
    gb = MEMORY_MB / 1024
    extra_gb = (EPHEMERAL_MB - 512) / 1024
    compute = gb * seconds * PRICE_PER_GB_SECOND
    storage = extra_gb * seconds * PRICE_PER_EPHEMERAL_GB_SECOND
    return f"""

## What it costs in your AWS account

Lambda bills memory × time. At {MEMORY_MB:,} MB the function turns a minute of 1080p video into the three
renditions in roughly a minute (on this site's 2-core machine, 5 s of 1080p takes about 4 s), so one minute of
video costs about:

| what | how much | price (us-east-1, x86) | cost |
|---|---|---|---|
| compute | {gb:.2f} GB × {seconds} s = {gb * seconds:.0f} GB-seconds | US$0.0000166667 per GB-second | US${compute:.4f} |
| `/tmp` beyond the free 512 MB | {extra_gb:.1f} GB × {seconds} s | US$0.0000000309 per GB-second | US${storage:.6f} |
| the invocation | 1 request | US$0.20 per million | US$0.0000002 |
| **total** | | | **about US${cost_per_video_minute():.3f} per minute of video** |

Storing the renditions costs S3 Standard's US$0.023 per GB-month, and downloading them to the internet is data
transfer out. The real duration of each invocation is in its CloudWatch Logs `REPORT` line (`Billed Duration`):
multiply by {gb:.2f} GB and the price to check the estimate for your videos.
"""


@dataclass(frozen=True)
class VideoLab(Lab):
    """The lab, plus what the run page shows under the steps: the renditions, playable."""

    run_panel: str = "labs/video/_renditions.html"
    verify_intro: str = "Verifying the pipeline end to end: real uploads to S3, then everything that comes out"
    verified_message: str = "Verified: uploads become playable renditions, end to end."
    verify_summary: str = ("Real uploads to S3, then what comes out: a 1080p clip with audio, a name with spaces "
                           "and accents, and a file that is not a video.")


LAB = VideoLab(
    slug="video",
    title="Real-time video processing",
    summary="Upload a video to S3 and let an event notification start a Lambda function that makes renditions "
            "for phones, tablets and TVs.",
    use_case=_instructions("use_case") + _cost_markdown(),
    services=("Amazon S3", "AWS Lambda", "Lambda layers", "AWS IAM", "Amazon CloudWatch Logs"),
    minutes=30,
    aws_cost=_cost_text(),
    diagram="labs/diagrams/video.svg",
    parts={"browser": "You (upload)", "uploads": "S3 uploads bucket", "trigger": "Event notification",
           "function": "Lambda transcoder", "role": "IAM role", "layer": "ffmpeg", "outputs": "S3 renditions bucket"},
    steps=(
        Step("buckets", "Create the two buckets", "Uploads land in one, renditions go to the other.",
             _instructions("step_buckets"), steps.apply_buckets, steps.check_buckets, parts=("uploads", "outputs")),
        Step("ffmpeg", "Give the function ffmpeg", "A Lambda layer with the ffmpeg binary (in the local sandbox: the "
             "binary on this machine).", _instructions("step_ffmpeg"), steps.apply_ffmpeg, steps.check_ffmpeg, parts=("layer",),
             local_precondition=True),
        Step("function", "Deploy the transcoder function", "Sized for transcoding, with a role that may read uploads "
             "and write renditions, nothing else.", _instructions("step_function"), function_step.apply_function, function_step.check_function,
             parts=("function", "role")),
        Step("trigger", "Connect uploads to the function", "S3's permission to invoke it, and the event notification "
             "for uploads/ and video suffixes.", _instructions("step_trigger"), steps.apply_trigger, steps.check_trigger,
             parts=("trigger",), services=("Amazon S3", "AWS Lambda")),
    ),
    verify=verify.CHECKS,
    in_flight=steps.uploads_in_flight,
    folder=FOLDER,
    variables=variables,
    functions=(FUNCTION_SOURCE,),
    runtime=RUNTIME,
    sabotage=sabotage.CASES,
    usage=USAGE,
    order=20,
)
