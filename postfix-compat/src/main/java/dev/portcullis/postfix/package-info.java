package dev.portcullis.postfix;
