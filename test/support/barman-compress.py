"""Compress files exactly the way barman-cloud does, with barman's own code (run it with the Python of
a Barman venv: .tools/barman-3.19.1/bin/python).

  wal CODEC SRC DST     one WAL file, through barman.clients.cloud_compression.compress(), the call
                        barman-cloud-wal-archive makes (gzip, bzip2, xz, snappy, zstd, lz4)
  tar CODEC SRCDIR DST  SRCDIR as one tarball, through barman.cloud.CloudTarUploader, the writer
                        barman-cloud-backup streams its tars through (gzip, bzip2, snappy, lz4, none,
                        named as for `wal`); the multipart upload is replaced by appending each part
                        to DST
"""
import os
import shutil
import sys

from barman.clients.cloud_compression import compress
from barman.cloud import CloudTarUploader


def compress_wal(codec, src, dst):
    with open(src, "rb") as wal, open(dst, "wb") as out:
        shutil.copyfileobj(compress(wal, codec, None), out)


class PartsToFile(object):
    """The part of barman's CloudInterface that CloudTarUploader calls, writing to a local file."""

    def __init__(self, dst):
        self.out = open(dst, "wb")

    def create_multipart_upload(self, key):
        return {"key": key}

    def async_upload_part(self, upload_metadata, key, body, part_number):
        shutil.copyfileobj(body, self.out)
        os.unlink(body.name)  # the uploader's part files are NamedTemporaryFile(delete=False)

    def async_complete_multipart_upload(self, upload_metadata, key, parts_count):
        self.out.close()

    def wait_for_multipart_upload(self, key):
        return {}


# barman-cloud-backup's --gzip/--bzip2/--snappy/--lz4 give these compression values.
TAR_COMPRESSION = {"none": None, "gzip": "gz", "bzip2": "bz2", "snappy": "snappy", "lz4": "lz4"}


def compress_tar(codec, srcdir, dst):
    uploader = CloudTarUploader(
        PartsToFile(dst),
        os.path.basename(dst),
        chunk_size=5 << 20,
        compression=TAR_COMPRESSION[codec],
        staging_dir=os.path.dirname(os.path.abspath(dst)),
    )
    uploader.tar.add(srcdir, arcname=".")
    uploader.close()


if __name__ == "__main__":
    mode, codec, src, dst = sys.argv[1:5]
    {"wal": compress_wal, "tar": compress_tar}[mode](codec, src, dst)
