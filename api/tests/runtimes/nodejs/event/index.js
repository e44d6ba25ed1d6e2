exports.handler = function(event, context, callback) { console.log('事件触发成功！'); callback(null, '事件触发成功！'); };
