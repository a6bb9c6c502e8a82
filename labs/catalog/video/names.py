"""What the video lab builds, by name, its fixed settings, and what a minute of video costs."""

from labs.catalog.video import ffmpeg as video_ffmpeg
from labs.engine.lab import Context, Names

RUNTIME = "python3.12"
HANDLER = "app.handler"
FUNCTION_SOURCE = "video_transcoder"
POLICY_NAME = "transcoder-buckets"
PERMISSION_ID = "s3-invoke"
UPLOAD_PREFIX = "uploads/"
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv", ".MP4", ".MOV")
REQUIRED_SUFFIXES = (".mp4", ".mov")
EVENTS = ("s3:ObjectCreated:*",)
# Sized for transcoding. CPU comes with memory (1,769 MB is one vCPU); new accounts start with a
# reduced memory quota, so the lab stays at 3,008 MB. 900 s is Lambda's maximum timeout.
MEMORY_MB = 3008
TIMEOUT_SECONDS = 900
EPHEMERAL_MB = 2048
MAX_RETRIES = 1  # asynchronous retries of an event whose invocation failed (Lambda's default is 2)
MAX_EVENT_AGE = 3600
MIN_MEMORY_MB, MIN_TIMEOUT_SECONDS, MIN_EPHEMERAL_MB = 2048, 300, 1024
LAYER_STAGING_KEY = ".lab/ffmpeg-layer.zip"  # in the output bucket: the zip is over the direct-upload size
PRICE_PER_GB_SECOND = 0.0000166667  # Lambda x86, us-east-1, first pricing tier
PRICE_PER_EPHEMERAL_GB_SECOND = 0.0000000309  # beyond the free 512 MB
PRICE_PER_REQUEST = 0.0000002
# What one run uses in AWS, for its cost estimate. The transcoder runs with 3008 MB; the lab's clips are
# seconds long (about 15 s of work each), and a run uploads a handful of them, plus the 68 MB ffmpeg layer
# once (multipart) and the renditions.
USAGE = {
    "lambda_requests": 20, "lambda_gb_seconds": 20 * (3008 / 1024) * 15,
    "s3_writes": 120, "s3_reads": 200, "s3_storage": 0.2 * 2 / 730,  # 200 MB for 2 hours
    "logs_ingest": 0.005,
}
TRANSCODE_SECONDS_PER_VIDEO_MINUTE = 60  # about real time for the 3 renditions at this memory (see the docs)


# Names -------------------------------------------------------------------------------------

def uploads_bucket(names: Names, account_id: str) -> str:
    # Bucket names are global in AWS: the account id keeps them apart.
    return f"{names('uploads')}-{account_id}"


def output_bucket(names: Names, account_id: str) -> str:
    return f"{names('renditions')}-{account_id}"


def role_name(names: Names) -> str:
    return names("transcoder-role")


def function_name(names: Names) -> str:
    return names("transcoder")


def variables(names: Names, account_id: str, region: str, origin: str) -> dict:
    """The shell variables the instructions' CLI commands use."""
    try:
        ffmpeg = str(video_ffmpeg.ffmpeg_binary())
    except Exception:  # noqa: BLE001 - the page still renders without imageio-ffmpeg
        ffmpeg = "ffmpeg"
    return {
        "REGION": region, "ACCOUNT": account_id, "UPLOADS": uploads_bucket(names, account_id),
        "OUTPUTS": output_bucket(names, account_id), "ROLE": role_name(names), "FUNCTION": function_name(names),
        "LAYER": video_ffmpeg.LAYER_NAME, "FFMPEG": ffmpeg,
    }


def cost_per_video_minute() -> float:
    """What one minute of 1080p video costs to transcode in Lambda at the lab's settings (US$)."""
    seconds = TRANSCODE_SECONDS_PER_VIDEO_MINUTE
    compute = MEMORY_MB / 1024 * seconds * PRICE_PER_GB_SECOND
    storage = (EPHEMERAL_MB - 512) / 1024 * seconds * PRICE_PER_EPHEMERAL_GB_SECOND
    return compute + storage + PRICE_PER_REQUEST


def is_local(ctx: Context) -> bool:
    """Whether this run deploys into the local sandbox (ffmpeg from this machine, no layer)."""
    target = getattr(ctx.clients, "target", None)
    return bool(target is not None and target.is_local)

