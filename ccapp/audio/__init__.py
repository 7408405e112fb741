"""Audio a call leaves behind: copying recordings and voicemails from Asterisk, and serving them."""
