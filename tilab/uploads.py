"""An upload handler that keeps no byte beyond settings.FILE_UPLOAD_MAX_BYTES per file."""

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizeUpload(UploadedFile):
    """Stands for a file that went over the cap: its real size, none of its content, so the
    form or the API refuses it with the size in the message."""


class SizeCapUploadHandler(FileUploadHandler):
    """First of the upload handlers: passes each chunk on to Django's own handlers until the
    file goes over the cap, then swallows the rest and hands back an OversizeUpload. Whatever
    a client sends, memory and disk hold at most the cap per file."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.seen = 0

    def receive_data_chunk(self, raw_data, start):
        self.seen += len(raw_data)
        if self.seen > settings.FILE_UPLOAD_MAX_BYTES:
            return None  # the handlers after this one never see it
        return raw_data

    def file_complete(self, file_size):
        if self.seen <= settings.FILE_UPLOAD_MAX_BYTES:
            return None  # the next handler hands back the file
        return OversizeUpload(
            file=io.BytesIO(b""),
            name=self.file_name,
            content_type=self.content_type,
            size=self.seen,
            charset=self.charset,
        )
