"""Voice, audio and video: what a file holds, the audio to upload, and its transcript."""
