package dev.portcullis.testkit;
