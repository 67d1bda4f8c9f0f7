"""SMS and WeChat parameters (short, within the providers' limits) and Alibaba Cloud's request
signature, checked against the example in its documentation."""

from __future__ import annotations

import json

from services.notify.adapters.sms import signed_query
from services.notify.domain.channels import STATUS, sms_params, wechat_data
from services.notify.domain.notices import NoticeKind as K
from tests.unit.notify.samples import ENGINEER, notice


def test_parameters_are_short_and_say_the_status() -> None:
    long = notice(K.RESOLVED, ENGINEER, title="一二三四五六七八九十一二三四五六七八九十一二三")
    params = json.loads(sms_params(long))
    assert params == {"number": "T20261130-000001", "status": "已解决",
                      "title": "一二三四五六七八九十一二三四五六七八九…"}  # fmt: skip
    data = json.loads(wechat_data(long))
    assert len(data["thing2"]["value"]) == 20
    assert data["time4"]["value"] == "2026-11-30 17:00"  # 09:00 UTC in Shanghai
    assert all(len(s) <= 5 for s in STATUS.values()) and set(STATUS) == set(K)


def test_the_signature_is_alibaba_clouds_rpc_v1() -> None:
    # The example of Alibaba Cloud's SMS "HTTP protocol and signature" page (secret testSecret).
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    query = signed_query(params, "testSecret")
    assert query.startswith("Signature=zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D&")
